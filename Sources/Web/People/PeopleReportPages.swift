import Foundation
import Kernel
import People
import Platform
import Plot
import Vapor

/// HR reports: headcount by department over time (chart), joiners, leavers and turnover, open positions, and, for
/// viewers with the pay group, leave liability. Each table downloads as CSV.
enum PeopleReportPages {
    static func register(_ routes: any RoutesBuilder) {
        routes.get("people", "reports", use: reports)
        routes.get("people", "reports", "headcount.csv", use: headcountCSV)
        routes.get("people", "reports", "turnover.csv", use: turnoverCSV)
        routes.get("people", "reports", "leave-liability.csv", use: liabilityCSV)
    }

    static func period(_ request: Request, today: CivilDate) throws -> (CivilDate, CivilDate) {
        func date(_ name: String) throws -> CivilDate? {
            try (try? request.query.get(String.self, at: name)).flatMap { $0.isEmpty ? nil : $0 }
                .map { text throws(DomainError) in try CivilDate.parse(text, field: name) }
        }
        return (try date("from") ?? CivilDate(today.year, 1, 1), try date("to") ?? today)
    }

    @Sendable static func reports(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let people = request.people
        let today = try await people.today()
        let (from, to) = try period(request, today: today)
        let headcount = try await people.headcount(months: 12, by: principal)
        let turnover = try await people.turnover(from: from, to: to, by: principal)
        let positions = try await people.positions().filter { $0.open > 0 }
        let viewer = try await people.viewer(principal)
        let liability = viewer.grantedGroups.contains(.pay) ? try await people.leaveLiability(by: principal) : nil
        let currency = try await people.companyCurrencyCode()
        let styles = ["chart-a", "chart-b", "chart-c", "chart-d", "chart-e", "chart-f", "chart-g"]
        let series = headcount.departments.enumerated().map { index, code in
            Charts.Series(name: code.isEmpty ? "none" : code, style: styles[index % styles.count],
                          values: headcount.months.map { Int64($0.byDepartment[code] ?? 0) })
        }
        let chart = Charts.bars(title: "Headcount by department at each month end",
                                labels: headcount.months.map { String($0.end.monthText.suffix(5)) }, series: series,
                                format: { String($0) })
        let headRows: [Node<HTML.TableContext>] = headcount.months.map { month in
            .tr(.td(.text(month.end.description)), .group(headcount.departments.map { .td(.class("num"), .text(String(month.byDepartment[$0] ?? 0))) }),
                .td(.class("num"), .strong(.text(String(month.total)))))
        }
        let headHeader: [Node<HTML.TableRowContext>] = headcount.departments.map { .th(.class("num"), .text($0.isEmpty ? "none" : $0)) }
        func names(_ list: [Employee], date: (Employee) -> String) -> Node<HTML.BodyContext> {
            .ul(.forEach(list) { .li(.a(.href("/people/\($0.number)"), .text($0.displayName)), .text(" \(date($0))")) })
        }
        let liabilitySection: Node<HTML.BodyContext> = .unwrap(liability) { lines in
            .section(.class("card"), .h2(.text("Leave liability")),
                .p(.text("Paid leave still available x daily rate (annual salary / 260): "),
                   .strong(.text("\(Money(minorUnits: lines.reduce(0) { $0 + $1.amount }, currency: currency).grouped) \(currency.code)")),
                   .text(" for \(lines.count) employees. "), .a(.href("/people/reports/leave-liability.csv"), .text("Download CSV"))))
        }
        return Layout.page("People reports", request,
            .section(.class("card"), .h2(.text("Headcount")), .raw(chart),
                .p(.a(.href("/people/reports/headcount.csv"), .text("Download CSV"))),
                .div(.class("table-wrap"), .table(
                    .thead(.tr(.th("Month end"), .group(headHeader), .th(.class("num"), .text("Total")))),
                    .tbody(.group(headRows))))),
            .section(.class("card"), .h2(.text("Joiners and leavers")),
                .form(.method(.get), .action("/people/reports"), .class("filters"),
                    Layout.field("From", name: "from", type: .date, value: from.description, error: nil),
                    Layout.field("To", name: "to", type: .date, value: to.description, error: nil),
                    .button(.type(.submit), .text("Show"))),
                .p(.text("\(turnover.joiners.count) joined, \(turnover.leavers.count) left; headcount \(turnover.headcountStart) "
                         + "on \(from), \(turnover.headcountEnd) on \(to); turnover \(turnover.turnoverPercent) %. "),
                   .a(.href("/people/reports/turnover.csv?\(Layout.queryString([("from", from.description), ("to", to.description)]))"),
                      .text("Download CSV"))),
                .div(.class("columns"),
                     .div(.h3(.text("Joiners")), names(turnover.joiners) { "hired \($0.hireDate)" }),
                     .div(.h3(.text("Leavers")), names(turnover.leavers) { "left \($0.leavingDate?.description ?? "")" }))),
            .section(.class("card"), .h2(.text("Open positions")),
                .ul(.forEach(positions) { .li(.text("\($0.title): \($0.open) open of \($0.budgetedHeadcount)")) }),
                .p(.a(.href("/people/training"), .text("Certifications expiring soon")), .text(" are on the training page."))),
            liabilitySection)
    }

    @Sendable static func headcountCSV(_ request: Request) async throws -> Response {
        let report = try await request.people.headcount(months: 12, by: try request.requirePrincipal())
        let rows = [["month_end"] + report.departments.map { $0.isEmpty ? "none" : $0 } + ["total"]] + report.months.map { month in
            [month.end.description] + report.departments.map { String(month.byDepartment[$0] ?? 0) } + [String(month.total)]
        }
        return ReportPages.csv(rows: rows, filename: "headcount.csv")
    }

    @Sendable static func turnoverCSV(_ request: Request) async throws -> Response {
        let people = request.people
        let (from, to) = try period(request, today: try await people.today())
        let report = try await people.turnover(from: from, to: to, by: try request.requirePrincipal())
        let rows = [["event", "date", "number", "name"]]
            + report.joiners.map { ["joined", $0.hireDate.description, $0.number, $0.displayName] }
            + report.leavers.map { ["left", $0.leavingDate?.description ?? "", $0.number, $0.displayName] }
        return ReportPages.csv(rows: rows, filename: "joiners-leavers.csv")
    }

    @Sendable static func liabilityCSV(_ request: Request) async throws -> Response {
        let people = request.people
        let lines = try await people.leaveLiability(by: try request.requirePrincipal())
        let currency = try await people.companyCurrencyCode()
        func money(_ value: Int64) -> String { Money(minorUnits: value, currency: currency).decimalString }
        let rows = [["number", "name", "available_days", "daily_rate", "amount", "currency"]] + lines.map {
            [$0.employee.number, $0.employee.displayName, "\($0.availableDays)", money($0.dailyRate), money($0.amount), currency.code]
        }
        return ReportPages.csv(rows: rows, filename: "leave-liability.csv")
    }
}
