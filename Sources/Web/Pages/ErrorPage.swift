import Plot
import Vapor

/// The friendly page people see when something goes wrong (the API gets problem+json instead).
enum ErrorPage {
    static func response(_ problem: Problem, request: Request) -> Response {
        let advice: String
        switch problem.status.code {
        case 403: advice = "You do not have access to this. Ask an administrator if you think you should."
        case 404: advice = "There is nothing at this address. Check the link, or start again from the dashboard."
        case 500...: advice = "Nothing was changed. Please try again; if it keeps happening, tell your administrator."
        default: advice = "Nothing was changed. Go back, correct it and try again."
        }
        return Layout.page(problem.title, request, status: problem.status,
            .section(.class("card error-card"),
                .p(.class("lead"), .text(problem.detail)),
                .p(.text(advice)),
                .p(.class("muted"), .text("Error code: \(problem.code)"),
                   .unwrap(problem.requestID) { .text(" · request \($0)") }),
                .p(.a(.class("button"), .href("/"), .text("Back to the dashboard")))))
    }
}
