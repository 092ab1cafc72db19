import Foundation
import Kernel
import Parties
import Platform

/// Customers and vendors over the API.
extension APIHandler {
    func listPartners(_ input: Operations.ListPartners.Input) async throws -> Operations.ListPartners.Output {
        let query = input.query
        let filter = PartiesService.Filter(
            search: query.q, role: query.role.flatMap { PartiesService.Filter.Role(rawValue: $0.rawValue) },
            includeArchived: query.includeArchived ?? false,
            sort: query.sort.flatMap { PartiesService.Filter.Sort(rawValue: $0.rawValue) } ?? .name,
            limit: query.limit ?? 100, offset: query.offset ?? 0)
        let (partners, total) = try await request.parties.partners(filter, by: try request.requirePrincipal())
        return .ok(.init(body: .json(.init(items: partners.map(\.api), total: total))))
    }

    func createPartner(_ input: Operations.CreatePartner.Input) async throws -> Operations.CreatePartner.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let partner = try await request.parties.create(body.input, idempotencyKey: input.headers.idempotencyKey,
                                                       by: principal)
        return .created(.init(body: .json(partner.api)))
    }

    func getPartner(_ input: Operations.GetPartner.Input) async throws -> Operations.GetPartner.Output {
        let partner = try await request.parties.partner(input.path.reference, by: try request.requirePrincipal())
        return .ok(.init(body: .json(partner.api)))
    }

    func updatePartner(_ input: Operations.UpdatePartner.Input) async throws -> Operations.UpdatePartner.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let partner = try await request.parties.update(input.path.reference, body.input, by: principal)
        return .ok(.init(body: .json(partner.api)))
    }

    func mergePartner(_ input: Operations.MergePartner.Input) async throws -> Operations.MergePartner.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let partner = try await request.parties.merge(body.duplicate, into: input.path.reference,
                                                      documents: PartiesService.documents(request.context),
                                                      by: try request.requirePrincipal())
        return .ok(.init(body: .json(partner.api)))
    }

    func setPartnerArchived(_ input: Operations.SetPartnerArchived.Input) async throws -> Operations.SetPartnerArchived.Output {
        let partner = try await request.parties.setArchived(input.path.reference, input.path.action == .archive,
                                                            by: try request.requirePrincipal())
        return .ok(.init(body: .json(partner.api)))
    }
}

extension Components.Schemas.PartnerInput {
    var input: PartnerInput {
        PartnerInput(code: code, name: name, isCustomer: isCustomer ?? true, isVendor: isVendor ?? false, taxID: taxId,
                     email: email, phone: phone, currency: currency, paymentTerms: paymentTerms,
                     creditLimit: creditLimit, billingAddress: billingAddress?.address,
                     shippingAddress: shippingAddress?.address, iban: iban, bic: bic, notes: notes,
                     contacts: contacts?.map { Contact(name: $0.name, email: $0.email, phone: $0.phone, role: $0.role) })
    }
}

extension Components.Schemas.Address {
    var address: Address {
        Address(line1: line1, line2: line2, postalCode: postalCode, city: city, region: region, country: country)
    }
}

extension Address {
    var api: Components.Schemas.Address {
        .init(line1: line1, line2: line2, postalCode: postalCode, city: city, region: region, country: country)
    }
}

extension Partner {
    var api: Components.Schemas.Partner {
        .init(id: id, code: code, name: name, isCustomer: isCustomer, isVendor: isVendor, taxId: taxID, email: email,
              phone: phone, currency: currency?.code, paymentTerms: paymentTerms.description,
              creditLimit: creditLimitText, billingAddress: billingAddress.api,
              shippingAddress: shippingAddress.api, iban: iban, bic: bic, notes: notes,
              contacts: contacts.map { .init(name: $0.name, email: $0.email, phone: $0.phone, role: $0.role) },
              archived: archived, createdAt: createdAt, updatedAt: updatedAt)
    }
}
