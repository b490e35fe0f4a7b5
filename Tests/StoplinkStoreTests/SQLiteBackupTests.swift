import Foundation
import GRDB
import StoplinkCore
import Testing
@testable import StoplinkStore

@Suite("SQLite backups while writing")
struct SQLiteBackupTests {
    @Test("A backup taken while opt-outs are written is a consistent snapshot that opens and passes its check")
    func consistentWhileWriting() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteStore.open(path: directory.databasePath)
        defer { try? store.close() }
        let (company, _) = try await store.acmeWithCampaign()
        for index in 0..<200 {
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(index)))
        }
        let copy = directory.url.appendingPathComponent("copy.sqlite").path

        // Writers keep going in parallel with the backup.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for index in 0..<50 {
                        _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(1_000 + writer * 100 + index)))
                    }
                }
            }
            group.addTask { try await store.backup(to: copy) }
            try await group.waitForAll()
        }

        let restored = try SQLiteStore.open(path: copy)
        defer { try? restored.close() }
        #expect(try await restored.isMigrated())
        let verdict = try await restored.writer.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
        #expect(verdict == "ok")
        // A snapshot: every event up to the copy's newest one, with no gap, and its suppression.
        let head = try await restored.feedHead(companyID: company.id)
        let events = try await restored.events(companyID: company.id, after: 0, upTo: head, limit: 1_000)
        #expect(events.count >= 200 && events.count <= 400)
        #expect(events.map(\.seq) == Array(1...head))
        for event in events {
            #expect(try await restored.suppression(companyID: company.id, phone: event.phone) != nil)
        }
        let original = try await store.events(companyID: company.id, after: 0, upTo: head, limit: 1_000)
        #expect(original == events)
        #expect(!FileManager.default.fileExists(atPath: copy + ".partial"))
    }

    @Test("A backup never overwrites an existing file")
    func refusesExisting() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteStore.open(path: directory.databasePath)
        defer { try? store.close() }
        let existing = directory.url.appendingPathComponent("taken.sqlite").path
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: existing))

        await #expect(throws: StoreError.backupExists(existing)) { try await store.backup(to: existing) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: existing)) == Data("keep me".utf8))
    }
}
