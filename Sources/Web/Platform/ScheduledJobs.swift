import Fluent
import Kernel
import Ledger
import People
import Platform
import Sales
import Vapor

/// Scheduled work, in one list: what `keel jobs run` does once and `keel serve` does every minute. Each job is
/// idempotent, so running it twice, from two processes, or for an earlier day does nothing twice.
public enum ScheduledJobs {
    public struct Outcome: Sendable, Equatable {
        public let job: String
        public let count: Int
        public let summary: String
    }

    /// Runs every job for `asOf` (default: today in the company's time zone).
    public static func run(_ app: Application, asOf given: CivilDate? = nil) async throws -> [Outcome] {
        var outcomes = try await daily(app, asOf: given)
        outcomes += try await deliver(app)
        return outcomes
    }

    /// The day's work: leavers carried out (people.leavers), then the billing run once the company is set up.
    static func daily(_ app: Application, asOf given: CivilDate?) async throws -> [Outcome] {
        let context = app.keelContext
        let db = app.db
        var outcomes: [Outcome] = []
        let people = PeopleService(db: db, context: context)
        let left = try await people.processLeavers(asOf: try await people.day(given))
        outcomes.append(Outcome(job: "people.leavers", count: left.count,
                                summary: "\(left.count) leaver(s) terminated and their users disabled"))
        let purged = try await people.purgeCandidates(asOf: try await people.day(given))
        outcomes.append(Outcome(job: "people.candidates", count: purged,
                                summary: "\(purged) candidate(s) past the retention period anonymised"))
        let expired = try await people.notifyExpiredCertifications(asOf: try await people.day(given))
        outcomes.append(Outcome(job: "people.certifications", count: expired,
                                summary: "\(expired) expired certification(s) announced"))
        if let company = try await LedgerService(db: db, context: context).company() {
            let asOf = given ?? company.today(context.clock)
            let sales = SalesService(db: db, context: context, products: LedgerReferences(db: db, context: context))
            let issued = try await sales.runBilling(asOf: asOf, by: .system)
            outcomes.append(Outcome(job: "sales.billing", count: issued.count,
                                    summary: "\(issued.count) scheduled invoice(s) issued for periods due by \(asOf)"))
        }
        return outcomes
    }

    /// Pending events, then webhooks (what the outbox dispatcher does every second inside `keel serve`).
    static func deliver(_ app: Application) async throws -> [Outcome] {
        let context = app.keelContext
        let db = app.db
        var outcomes: [Outcome] = []
        let delivered = try await Outbox.dispatch(on: db, handlers: context.events, clock: context.clock, logger: app.logger)
        outcomes.append(Outcome(job: "outbox", count: delivered, summary: "\(delivered) event(s) delivered"))
        let sent = try await Webhooks.deliverDue(on: db, send: OutboxDispatcher.webhookSender(app), clock: context.clock)
        outcomes.append(Outcome(job: "webhooks", count: sent, summary: "\(sent) webhook(s) accepted by their receivers"))
        return outcomes
    }

    /// Runs the day's jobs every `interval` inside `keel serve` (events and webhooks have their own dispatcher there).
    static func start(_ app: Application, interval: Duration = .seconds(60)) {
        let logger = app.logger
        let task = Task.detached {
            while !Task.isCancelled {
                do {
                    for outcome in try await daily(app, asOf: nil) where outcome.count > 0 {
                        logger.info("\(outcome.job): \(outcome.summary)")
                    }
                } catch {
                    logger.warning("scheduled jobs failed: \(error)")
                }
                try? await Task.sleep(for: interval)
            }
        }
        app.lifecycle.use(OutboxDispatcher.CancelOnShutdown(task: task))
    }
}
