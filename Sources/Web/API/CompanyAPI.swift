import Foundation
import Kernel
import Ledger
import Platform

/// The company and its details over the API.
extension APIHandler {
    func getCompany(_ input: Operations.GetCompany.Input) async throws -> Operations.GetCompany.Output {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        return .ok(.init(body: .json(try await companyAPI())))
    }

    func setCompanyDetails(_ input: Operations.SetCompanyDetails.Input) async throws -> Operations.SetCompanyDetails.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        try await request.ledger.setCompanyDetails(body.details, by: principal)
        return .ok(.init(body: .json(try await companyAPI())))
    }

    func companyAPI() async throws -> Components.Schemas.Company {
        let ledger = request.ledger
        let company = try await ledger.requireCompany()
        let details = try await ledger.companyDetails()
        return .init(name: company.name, currency: company.currency.code, timeZone: company.timeZone,
                     fiscalYearStartMonth: company.fiscalYearStartMonth, details: details.api)
    }
}

extension CompanyDetails {
    var api: Components.Schemas.CompanyDetails {
        .init(address: address.api, taxId: taxID, registrationId: registrationID, iban: iban, bic: bic, email: email,
              phone: phone)
    }
}

extension Components.Schemas.CompanyDetails {
    var details: CompanyDetails {
        CompanyDetails(address: address?.address ?? Address(), taxID: taxId, registrationID: registrationId, iban: iban,
                       bic: bic, email: email, phone: phone)
    }
}
