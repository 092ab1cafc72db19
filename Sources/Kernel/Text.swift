/// Small text helpers for the hot paths (imports, hashing), written on the standard library alone:
/// Foundation's `trimmingCharacters` and `String(format:)` go through NSString on Linux and dominate
/// a profile of a million-line import.
extension StringProtocol {
    /// Without leading and trailing horizontal whitespace (spaces, tabs, other Unicode spaces; not newlines).
    @inlinable public var trimmed: SubSequence {
        // Spaces and tabs are decided on the UTF-8 bytes; anything outside ASCII as a Character.
        func isSpace(_ index: Index) -> Bool {
            let byte = utf8[index]
            return byte == 0x20 || byte == 0x09 || (byte >= 0x80 && self[index].isHorizontalSpace)
        }
        var start = startIndex, end = endIndex
        while start < end, isSpace(start) { start = index(after: start) }
        while end > start {
            let before = index(before: end)
            guard isSpace(before) else { break }
            end = before
        }
        return self[start..<end]
    }

    /// Whether `text` occurs here (Foundation's `contains` bridges to NSString; the standard library's
    /// `firstRange` is a slow generic search).
    @inlinable public func has(_ text: String) -> Bool { utf8Range(of: text) != nil }

    /// Where `text` first occurs, found byte by byte in the UTF-8 form.
    @inlinable public func utf8Range(of text: String) -> Range<Index>? {
        let needle = Array(text.utf8)
        guard let first = needle.first else { return startIndex..<startIndex }
        let view = utf8
        var from = view.startIndex
        while let found = view[from...].firstIndex(of: first) {
            var cursor = found
            var matched = true
            for byte in needle {
                guard cursor < view.endIndex, view[cursor] == byte else { matched = false; break }
                cursor = view.index(after: cursor)
            }
            if matched { return found..<cursor }
            from = view.index(after: found)
        }
        return nil
    }
}

extension Character {
    @inlinable public var isHorizontalSpace: Bool { self == " " || self == "\t" || (isWhitespace && !isNewline) }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hexadecimal, two digits a byte (SHA-256 digests, tokens).
    public var lowercaseHex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Optional where Wrapped: StringProtocol {
    /// The text without leading and trailing horizontal whitespace, or `nil` when nothing is left: how every form
    /// field and optional input is read ("  " and a missing field mean the same).
    public var nonBlank: String? {
        guard let trimmed = self?.trimmed, !trimmed.isEmpty else { return nil }
        return String(trimmed)
    }
}
