import Platform
import Vapor

/// Delivers outbox events inside `keel serve`: every second, or at once after a commit that wrote events.
enum OutboxDispatcher {
    static func start(_ app: Application) {
        let context = app.keelContext
        let logger = app.logger
        let db = app.db
        let sender = webhookSender(app)
        let task = Task.detached {
            while !Task.isCancelled {
                do {
                    try await Outbox.dispatch(on: db, handlers: context.events, clock: context.clock, logger: logger)
                    try await Webhooks.deliverDue(on: db, send: sender, clock: context.clock)
                } catch {
                    logger.warning("outbox dispatch failed: \(error)")
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        app.lifecycle.use(CancelOnShutdown(task: task))
    }

    /// Webhooks go out through the application's HTTP client.
    static func webhookSender(_ app: Application) -> Webhooks.Sender {
        let client = app.client
        return { url, headers, body in
            let response = try await client.post(URI(string: url), headers: HTTPHeaders(headers)) { request in
                request.body = ByteBuffer(string: body)
            }
            return Int(response.status.code)
        }
    }

    struct CancelOnShutdown: LifecycleHandler {
        let task: Task<Void, Never>
        func shutdown(_ application: Application) { task.cancel() }
        func shutdownAsync(_ application: Application) async { task.cancel() }
    }
}
