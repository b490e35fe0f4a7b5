/// Copies of the whole database, taken while the service runs. Stores whose database has its own
/// backup tools (PostgreSQL's `pg_dump`, replicas) need not offer it.
public protocol BackupStore: Sendable {
    /// Writes a consistent copy of the database, as it was at one moment, to a new file at
    /// `path`: every transaction committed before that moment is in it whole, none after it in
    /// part. Writers keep going meanwhile. The file appears only once it is complete; an existing
    /// file is never overwritten.
    func backup(to path: String) async throws
}
