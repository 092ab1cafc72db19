import Foundation
import KeelTesting
import Testing
import Vapor
import VaporTesting

/// Reads a response body as JSON.
func json(_ response: TestingHTTPResponse) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
}

/// The `code` of a problem+json response.
func problemCode(_ response: TestingHTTPResponse) -> String? { json(response)["code"] as? String }

func bearer(_ token: String) -> HTTPHeaders { ["Authorization": "Bearer \(token)"] }

func jsonHeaders(_ token: String) -> HTTPHeaders {
    ["Authorization": "Bearer \(token)", "Content-Type": "application/json"]
}

func formHeaders(cookie: String) -> HTTPHeaders {
    ["Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"]
}

/// Percent-encodes form fields.
func formBody(_ fields: [(String, String)]) -> ByteBuffer {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    let text = fields.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)="
        + "\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
    return ByteBuffer(string: text)
}
