import Foundation
import Kernel
import Testing

@Suite("Identifiers")
struct IDTests {
    struct Thing {}

    @Test("UUIDs print like Foundation's uuidString: upper case as stored, lower case as shown")
    func text() {
        let fixed = UUID(uuidString: "01A204E6-097D-786C-ADA5-9A775E407D2C")!
        #expect(fixed.canonicalText == "01A204E6-097D-786C-ADA5-9A775E407D2C")
        #expect(fixed.lowercaseText == "01a204e6-097d-786c-ada5-9a775e407d2c")
        #expect(fixed.withCanonicalText { String(decoding: $0, as: UTF8.self) } == fixed.uuidString)
        for _ in 0..<200 {
            let id = UUID()
            #expect(id.canonicalText == id.uuidString)
            #expect(id.lowercaseText == id.uuidString.lowercased())
            #expect(ID<Thing>(id).description == id.uuidString.lowercased())
        }
    }

    @Test("IDs sort as their text does, and version 7 ids by the time they were made")
    func order() {
        let ids = (0..<300).map { _ in ID<Thing>(UUID()) }
        #expect(ids.sorted().map(\.description) == ids.map(\.description).sorted())
        let low = ID<Thing>(UUID(uuidString: "00000000-0000-7000-8000-000000000001")!)
        let high = ID<Thing>(UUID(uuidString: "00000000-0000-7000-8000-000000000002")!)
        #expect(low < high && !(high < low) && !(low < low))
        let early = ID<Thing>(UUID.v7(now: Date(timeIntervalSince1970: 1_800_000_000)))
        let later = ID<Thing>(UUID.v7(now: Date(timeIntervalSince1970: 1_800_000_000.001)))
        #expect(early < later)
    }

    @Test("A batch's version 7 ids are distinct, ascending, of version 7 and variant 2, after earlier ones")
    func batch() {
        let before = UUID.v7(now: Date(timeIntervalSince1970: 1_800_000_000))
        let ids = UUID.v7(count: 10_000, now: Date(timeIntervalSince1970: 1_800_000_000.002))
        #expect(ids.count == 10_000 && Set(ids).count == 10_000)
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0.isBefore($1) })
        #expect(before.isBefore(ids[0]))
        #expect(ids.allSatisfy { $0.uuid.6 >> 4 == 7 && $0.uuid.8 >> 6 == 0b10 })
        // Two batches in the same instant still differ (46 random bits each).
        let again = UUID.v7(count: 10_000, now: Date(timeIntervalSince1970: 1_800_000_000.002))
        #expect(Set(ids).isDisjoint(with: again))
        #expect(UUID.v7(count: 0).isEmpty && UUID.v7(count: 70_000).count == 70_000)
    }
}
