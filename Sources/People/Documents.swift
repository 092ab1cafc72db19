import Crypto
import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// A file kept with an employee's record (a contract, a certificate). Who may read it follows its confidentiality.
public struct EmployeeDocument: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case contract, certificate, identity, letter, other }

    /// `general`: whoever may see the record (people:read, the employee, the manager); `personal`: the personal field
    /// group (hr) and the employee; `hr`: the cases field group only (hr), e.g. a warning letter.
    public enum Confidentiality: String, Sendable, Codable, CaseIterable { case general, personal, hr }

    public let id: String
    public let employeeID: String
    public let title: String
    public let kind: Kind
    public let confidentiality: Confidentiality
    public let filename: String
    public let contentType: String
    public let size: Int
    public let sha256: String
    public let uploadedBy: String
    public let uploadedAt: String
}

extension PeopleViewer {
    /// Whether the viewer may read a document of that confidentiality on that employee's record.
    public func canRead(_ confidentiality: EmployeeDocument.Confidentiality, of employeeID: String) -> Bool {
        guard canSee(employeeID) else { return false }
        switch confidentiality {
        case .general: return true
        case .personal: return isSelf(employeeID) || grantedGroups.contains(.personal)
        case .hr: return grantedGroups.contains(.cases)
        }
    }
}

extension PeopleService {
    public static let documentBytesMax = 5 * 1_048_576
    /// Content types a download keeps; anything else is served as application/octet-stream.
    static let knownTypes: Set<String> = ["application/pdf", "image/png", "image/jpeg", "text/plain", "text/csv",
                                          "application/vnd.openxmlformats-officedocument.wordprocessingml.document"]

    /// The documents on an employee's record the viewer may read, newest first.
    public func documents(_ reference: String, by actor: Principal) async throws -> [EmployeeDocument] {
        let viewer = try await viewer(actor)
        let employee = try await find(reference)
        guard viewer.canSee(employee.id) else { throw Self.notFound(reference) }
        let rows = try await db.sql.select().columns("id", "employee_id", "title", "kind", "confidentiality", "filename",
                                                     "content_type", "size", "sha256", "uploaded_by", "uploaded_at")
            .from("people_documents").where("employee_id", .equal, UUID(uuidString: employee.id)!)
            .orderBy("uploaded_at", .descending).all()
        return try rows.map(Self.document).filter { viewer.canRead($0.confidentiality, of: $0.employeeID) }
    }

    static func document(_ row: any SQLRow) throws -> EmployeeDocument {
        EmployeeDocument(id: try PeopleRows.id(row), employeeID: try PeopleRows.id(row, "employee_id"),
                         title: try row.decode(column: "title", as: String.self),
                         kind: EmployeeDocument.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .other,
                         confidentiality: EmployeeDocument.Confidentiality(rawValue: try row.decode(column: "confidentiality",
                                                                                                 as: String.self)) ?? .hr,
                         filename: try row.decode(column: "filename", as: String.self),
                         contentType: try row.decode(column: "content_type", as: String.self),
                         size: try row.decode(column: "size", as: Int.self), sha256: try row.decode(column: "sha256", as: String.self),
                         uploadedBy: try row.decode(column: "uploaded_by", as: String.self),
                         uploadedAt: try row.decode(column: "uploaded_at", as: String.self))
    }

    /// One document with its bytes, if the viewer may read it; otherwise 404 (its existence does not leak).
    public func document(_ reference: String, id: String, by actor: Principal) async throws -> (EmployeeDocument, Data) {
        let viewer = try await viewer(actor)
        let employee = try await find(reference)
        let missing = DomainError.notFound("people.document.not_found", "There is no document '\(id)'")
        guard viewer.canSee(employee.id), let uuid = UUID(uuidString: id),
              let row = try await db.sql.select().column("*").from("people_documents").where("id", .equal, uuid)
                .where("employee_id", .equal, UUID(uuidString: employee.id)!).first() else { throw missing }
        let document = try Self.document(row)
        guard viewer.canRead(document.confidentiality, of: employee.id),
              let data = Data(base64Encoded: try row.decode(column: "content", as: String.self)) else { throw missing }
        return (document, data)
    }

    /// Attaches a file to an employee's record (people:write; an `hr` document also needs the cases group). The
    /// audit log records the title, size and SHA-256, never the content.
    public func attachDocument(_ reference: String, title: String, kind: EmployeeDocument.Kind,
                               confidentiality: EmployeeDocument.Confidentiality, filename: String, contentType: String?,
                               data: Data, by actor: Principal) async throws -> EmployeeDocument {
        try Self.requireWrite(actor)
        let viewer = try await viewer(actor)
        if confidentiality == .hr, !viewer.grantedGroups.contains(.cases) {
            throw DomainError.forbidden("people.document.hr_only", "Only hr files documents that only hr may read")
        }
        let title = try Self.checkName(title, noun: "document", field: "title")
        let name = String(filename.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last ?? "").trimmed
        guard (1...200).contains(name.count) else {
            throw DomainError.invalid("people.document.filename_invalid", "The file needs a name of 1 to 200 characters",
                                      field: "file")
        }
        guard !data.isEmpty else { throw DomainError.invalid("people.document.empty", "The file is empty", field: "file") }
        guard data.count <= Self.documentBytesMax else {
            throw DomainError(.tooLarge, "people.document.too_large", "A document is at most \(Self.documentBytesMax / 1_048_576) MB",
                              field: "file")
        }
        let type = contentType.map { $0.split(separator: ";").first.map { String($0.trimmed).lowercased() } ?? "" }
            .flatMap { Self.knownTypes.contains($0) ? $0 : nil } ?? "application/octet-stream"
        let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            let employee = try await people.find(reference)
            let id = UUID.v7()
            let now = RFC3339.format(service.context.clock.now())
            try await tx.sql.insert(into: "people_documents")
                .columns("id", "employee_id", "title", "kind", "confidentiality", "filename", "content_type", "size", "sha256",
                         "content", "uploaded_by", "uploaded_at")
                .values(SQLBind(id), SQLBind(UUID(uuidString: employee.id)!), SQLBind(title), SQLBind(kind.rawValue),
                        SQLBind(confidentiality.rawValue), SQLBind(String(name)), SQLBind(type), SQLBind(data.count),
                        SQLBind(digest), SQLBind(data.base64EncodedString()), SQLBind(actor.username), SQLBind(now)).run()
            let document = EmployeeDocument(id: id.lowercaseText, employeeID: employee.id, title: title, kind: kind,
                                            confidentiality: confidentiality, filename: String(name), contentType: type,
                                            size: data.count, sha256: digest, uploadedBy: actor.username, uploadedAt: now)
            // The title may say more than its reader should see in the audit log: only the kind and the checksum go there.
            try await service.context.audit(tx, actor, "people.document.attach", entity: "employee", id: employee.id,
                                            before: nil as String?,
                                            after: "\(kind.rawValue) (\(confidentiality.rawValue)), \(data.count) bytes, sha256 \(digest)")
            return document
        }
    }
}
