import Kernel
import Platform
import Plot
import Vapor

/// Webhook subscriptions and their delivery log, with a manual re-send (admins).
enum WebhookPages {
    static func register(_ routes: any RoutesBuilder) {
        routes.get("admin", "webhooks", use: list)
        routes.get("admin", "webhooks", "deliveries.csv", use: deliveriesCSV)
        routes.post("admin", "webhooks", use: create)
        routes.post("admin", "webhooks", ":id", "pause", use: pause)
        routes.post("admin", "webhooks", ":id", "resume", use: resume)
        routes.post("admin", "webhooks", "deliveries", ":id", "resend", use: resend)
    }

    struct SubscribeForm: Content {
        var url: String?
        var events: [String]?
        var secret: String?
    }

    @Sendable static func list(_ request: Request) async throws -> Response {
        try await render(request, form: SubscribeForm(), error: nil, notice: nil)
    }

    static func render(_ request: Request, form: SubscribeForm, error: DomainError?, notice: String?,
                       status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        let subscriptions = try await Webhooks.subscriptions(on: request.db, by: principal)
        let deliveries = try await Webhooks.deliveries(on: request.db, limit: 100, by: principal)
        let shown = error.map { FormError($0) }
        let chosen = Set(form.events ?? Webhooks.events)
        let subscriptionRows: [Node<HTML.TableContext>] = subscriptions.map { subscription in
            .tr(.td(.text(subscription.url)), .td(.text(subscription.events.joined(separator: ", "))),
                .td(.span(.class(subscription.active ? "badge ok" : "badge off"), .text(subscription.active ? "active" : "paused"))),
                .td(.form(.method(.post), .class("inline"),
                          .action("/admin/webhooks/\(subscription.id)/\(subscription.active ? "pause" : "resume")"),
                          Layout.csrfField(request), Layout.submit(subscription.active ? "Pause" : "Resume", style: "secondary"))))
        }
        let deliveryRows: [Node<HTML.TableContext>] = deliveries.map { delivery in
            .tr(.td(.text(String(delivery.createdAt.prefix(19)))), .td(.text(delivery.eventType)), .td(.text(delivery.url)),
                .td(.span(.class(delivery.state == "delivered" ? "badge ok" : delivery.state == "failed" ? "badge off" : "badge"),
                          .text(delivery.state))),
                .td(.class("num"), .text(String(delivery.attempts))),
                .td(.text(delivery.lastStatus.map { "HTTP \($0)" } ?? delivery.lastError ?? "")),
                .td(.form(.method(.post), .class("inline"), .action("/admin/webhooks/deliveries/\(delivery.id)/resend"),
                          Layout.csrfField(request), Layout.submit("Re-send", style: "secondary"))))
        }
        return Layout.page("Webhooks", request, status: status, notice: notice,
            .section(.class("card"), .h2(.text("Add a subscription")),
                .p(.class("muted"), .text("Each delivery is a POST of the event's JSON with Keel-Event, Keel-Delivery and "
                    + "Keel-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\" with the secret>. A receiver "
                    + "answers 2xx; anything else is retried with exponential backoff.")),
                .form(.method(.post), .action("/admin/webhooks"),
                    Layout.csrfField(request),
                    Layout.formError(shown, fields: ["url", "events", "secret"]),
                    Layout.field("URL", name: "url", value: form.url ?? "", error: shown, required: true,
                                 hint: "http:// or https://"),
                    .fieldset(.class(shown?.field == "events" ? "field invalid" : "field"),
                        .element(named: "legend", text: "Events"),
                        .group(Webhooks.events.map { event in
                            .label(.class("check"), .input(.type(.checkbox), .name("events[]"), .value(event),
                                                           .checked(chosen.contains(event))), .text(event))
                        })),
                    Layout.field("Signing secret", name: "secret", value: "", error: shown,
                                 hint: "Empty: one is generated and shown once"),
                    Layout.submit("Add subscription"))),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("URL"), .th("Events"), .th("State"), .th())),
                .tbody(.group(subscriptionRows),
                       .if(subscriptions.isEmpty, .tr(.td(.attribute(named: "colspan", value: "4"), .class("muted"),
                                                          .text("No subscriptions yet."))))))),
            .h2(.text("Delivery log")),
            .p(.a(.href("/admin/webhooks/deliveries.csv"), .text("Download the last 500 as CSV"))),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Created"), .th("Event"), .th("URL"), .th("State"), .th(.class("num"), .text("Attempts")),
                           .th("Last answer"), .th())),
                .tbody(.group(deliveryRows),
                       .if(deliveries.isEmpty, .tr(.td(.attribute(named: "colspan", value: "7"), .class("muted"),
                                                       .text("Nothing sent yet.")))))))
        )
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(SubscribeForm.self)
        do {
            let (subscription, secret) = try await Webhooks.subscribe(url: form.url ?? "", events: form.events ?? [],
                                                                      secret: form.secret, on: request.db, by: principal,
                                                                      context: request.context)
            return try await render(request, form: SubscribeForm(), error: nil,
                                    notice: "Subscribed \(subscription.url). Signing secret (shown once): \(secret)")
        } catch let error as DomainError where error.kind == .invalid {
            return try await render(request, form: form, error: error, notice: nil, status: .unprocessableEntity)
        }
    }

    @Sendable static func pause(_ request: Request) async throws -> Response { try await setActive(request, false) }
    @Sendable static func resume(_ request: Request) async throws -> Response { try await setActive(request, true) }

    static func setActive(_ request: Request, _ active: Bool) async throws -> Response {
        let subscription = try await Webhooks.setActive(request.parameters.get("id") ?? "", active, on: request.db,
                                                        by: try request.requirePrincipal(), context: request.context)
        return try await render(request, form: SubscribeForm(), error: nil,
                                notice: "\(subscription.url) \(active ? "resumed" : "paused").")
    }

    @Sendable static func resend(_ request: Request) async throws -> Response {
        let delivery = try await Webhooks.resend(request.parameters.get("id") ?? "", on: request.db,
                                                 by: try request.requirePrincipal(), context: request.context)
        return try await render(request, form: SubscribeForm(), error: nil,
                                notice: "\(delivery.eventType) queued again for \(delivery.url).")
    }

    @Sendable static func deliveriesCSV(_ request: Request) async throws -> Response {
        let deliveries = try await Webhooks.deliveries(on: request.db, limit: 500, by: try request.requirePrincipal())
        let rows = [["created_at", "event", "url", "state", "attempts", "last_status", "last_error", "delivered_at", "event_id"]]
            + deliveries.map { delivery in
                [delivery.createdAt, delivery.eventType, delivery.url, delivery.state, String(delivery.attempts),
                 delivery.lastStatus.map(String.init) ?? "", delivery.lastError ?? "", delivery.deliveredAt ?? "", delivery.eventID]
            }
        return ReportPages.csv(rows: rows, filename: "webhook-deliveries.csv")
    }
}
