import Foundation
import StoplinkCore
import StoplinkStore
import Testing

@Suite("Store contract: settings")
struct SettingStoreContract {
    @Test("a setting keeps the first value stored", arguments: StoreFactory.all)
    func settingOrInsert(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let first = try await store.setting("signing-secret", orInsert: { "first" })
            let second = try await store.setting("signing-secret", orInsert: { "second" })
            let other = try await store.setting("other-key", orInsert: { "other" })

            #expect(first == "first")
            #expect(second == "first")
            #expect(other == "other")
        }
    }

    @Test("replacing a setting changes it", arguments: StoreFactory.all)
    func replace(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            _ = try await store.setting("k", orInsert: { "old" })

            try await store.replaceSetting("k", with: "new")
            try await store.replaceSetting("fresh", with: "value")

            #expect(try await store.setting("k", orInsert: { "unused" }) == "new")
            #expect(try await store.setting("fresh", orInsert: { "unused" }) == "value")
        }
    }

    @Test("parallel callers of a missing setting all get the one value stored", arguments: StoreFactory.all)
    func parallelInsert(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let values = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<Sample.writers {
                    group.addTask { try await store.setting("signing-secret", orInsert: { "value-\(index)" }) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }

            #expect(Set(values).count == 1)
            #expect(try await store.setting("signing-secret", orInsert: { "late" }) == values.first)
        }
    }

    @Test("a replacement racing the first inserts of a setting wins, and at most one inserted value is ever answered",
          arguments: StoreFactory.all)
    func replaceWhileInserting(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let answers = try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask {
                    try await store.replaceSetting("signing-secret", with: "replaced")
                    return nil
                }
                for index in 0..<Sample.writers {
                    group.addTask { try await store.setting("signing-secret", orInsert: { "inserted-\(index)" }) }
                }
                return try await group.reduce(into: [String]()) { answers, answer in answer.map { answers.append($0) } }
            }

            #expect(Set(answers).subtracting(["replaced"]).count <= 1)
            #expect(try await store.setting("signing-secret", orInsert: { "late" }) == "replaced")
        }
    }
}
