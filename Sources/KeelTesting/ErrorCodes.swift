import Kernel

/// The `code` of the `DomainError` that `work` throws; `nil` when it succeeds. Any other error comes back as
/// "unexpected: ..." so a test comparing codes fails with the reason visible.
public func domainErrorCode(_ work: () async throws -> Void) async -> String? {
    do {
        try await work()
        return nil
    } catch let error as DomainError {
        return error.code
    } catch {
        return "unexpected: \(error)"
    }
}
