/// The page a list or report is asked for: `limit` items from `offset`.
public enum Paging {
    /// Refuses a page size outside 1...`limitMax` (`<codePrefix>.limit_invalid`) or a negative offset
    /// (`<codePrefix>.offset_invalid`); `noun` names what a page holds ("lines", "partners").
    public static func check(limit: Int, offset: Int, limitMax: Int, noun: String,
                             codePrefix: String) throws(DomainError) {
        guard (1...limitMax).contains(limit) else {
            throw .invalid("\(codePrefix).limit_invalid", "A page holds 1 to \(limitMax) \(noun)", field: "limit")
        }
        guard offset >= 0 else {
            throw .invalid("\(codePrefix).offset_invalid", "The offset is 0 or more", field: "offset")
        }
    }
}
