import ArgumentParser
import Foundation
import Kernel
import Web

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "Scheduled work (keel serve also runs it every minute).",
        subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the work due on or before a day: scheduled invoices, then pending events. Idempotent: running "
                + "twice, or for an earlier day, does nothing twice.")

        @ArgumentParser.Option(name: .customLong("as-of"), help: "The day, YYYY-MM-DD (default: today in the company's time zone).")
        var asOf: String?

        func run() async throws {
            let day: CivilDate?
            do {
                day = try asOf.map { text throws(DomainError) in try CivilDate.parse(text, field: "as-of") }
            } catch { fail(error) }
            let outcomes = try await withApplication { app, _ in try await ScheduledJobs.run(app, asOf: day) }
            for outcome in outcomes { say("\(outcome.job): \(outcome.summary)") }
        }
    }
}
