import Fluent
import Foundation
import Kernel

/// What `keel verify` found in the audit chain.
public struct ChainReport: Sendable, Equatable {
    public let rows: Int64
    /// The first row that breaks the chain, by sequence number; `nil` when the chain is intact.
    public let brokenSeq: Int64?
    public let problem: String?
    /// Something worth telling the operator that does not break the chain.
    public let warning: String?

    public var isIntact: Bool { problem == nil }
}

/// Re-walks the audit chain from the first row and checks each link, the `audit_head` row and the head file.
public enum AuditVerifier {
    static let pageRows = 2_000

    public static func verify(on db: any Database, headPath: String) async throws -> ChainReport {
        var expectedSeq: Int64 = 1
        var prevHash = AuditChain.genesisHash
        var hashBySeq: (seq: Int64, hash: String)?
        let fileHead = AuditHeadFile(path: headPath).read()
        while true {
            let page = try await AuditRowModel.query(on: db).filter(\.$id >= expectedSeq)
                .sort(\.$id, .ascending).limit(pageRows).all()
            for row in page {
                let record = row.record
                if record.seq != expectedSeq {
                    return broken(expectedSeq - 1, expectedSeq,
                                  "row \(expectedSeq) is missing (the next row is \(record.seq))")
                }
                if record.prevHash != prevHash {
                    return broken(expectedSeq - 1, record.seq, "row \(record.seq) does not link to row \(record.seq - 1)")
                }
                let recomputed = AuditChain.digest(seq: record.seq, at: record.at, actor: record.actor,
                                                   action: record.action, entity: record.entity,
                                                   entityID: record.entityID, before: record.before,
                                                   after: record.after, prevHash: record.prevHash)
                if recomputed != record.hash {
                    return broken(expectedSeq - 1, record.seq, "row \(record.seq) was altered (its hash does not match)")
                }
                if let fileHead, fileHead.seq == record.seq { hashBySeq = (record.seq, record.hash) }
                prevHash = record.hash
                expectedSeq += 1
            }
            if page.count < pageRows { break }
        }
        let lastSeq = expectedSeq - 1
        guard let fileHead else {
            return ChainReport(rows: lastSeq, brokenSeq: nil, problem: nil,
                               warning: lastSeq > 0 ? "no head file at \(headPath): a cut tail cannot be detected" : nil)
        }
        if fileHead.seq > lastSeq {
            return broken(lastSeq, lastSeq + 1,
                          "the chain ends at row \(lastSeq) but the head file records row \(fileHead.seq): the tail was cut")
        }
        if let seen = hashBySeq, seen.hash != fileHead.hash {
            return broken(lastSeq, fileHead.seq,
                          "row \(fileHead.seq) differs from the head file: the chain was rewritten")
        }
        return ChainReport(rows: lastSeq, brokenSeq: nil, problem: nil, warning: nil)
    }

    private static func broken(_ rows: Int64, _ seq: Int64, _ problem: String) -> ChainReport {
        ChainReport(rows: rows, brokenSeq: seq, problem: problem, warning: nil)
    }
}
