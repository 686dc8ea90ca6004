// The mail server's data: each user's unified contact store and archive, in SQLite (a real file
// database: nothing is lost across restarts). Every write is one statement or one transaction,
// so a failed request leaves nothing half-written.
const Database = require('better-sqlite3');

class MailStore {
  constructor(file) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS contacts (
        owner TEXT NOT NULL, address TEXT NOT NULL, name TEXT NOT NULL, added_by TEXT NOT NULL, added_at TEXT NOT NULL,
        PRIMARY KEY (owner, address));
      CREATE TABLE IF NOT EXISTS archive (
        id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL,
        sender TEXT NOT NULL, stored_by TEXT NOT NULL, stored_at TEXT NOT NULL);`);
    this.statements = {
      listContacts: this.db.prepare(
        'SELECT address, name, added_by AS addedBy, added_at AS addedAt FROM contacts WHERE owner = ? ORDER BY address',
      ),
      addContact: this.db.prepare(
        'INSERT INTO contacts (owner, address, name, added_by, added_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (owner, address) DO UPDATE SET name = excluded.name',
      ),
      removeContact: this.db.prepare('DELETE FROM contacts WHERE owner = ? AND address = ?'),
      archive: this.db.prepare(
        'INSERT INTO archive (owner, subject, body, sender, stored_by, stored_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      listArchive: this.db.prepare(
        'SELECT id, subject, body, sender, stored_by AS storedBy, stored_at AS storedAt FROM archive WHERE owner = ? ORDER BY id',
      ),
      counts: this.db.prepare(
        'SELECT (SELECT COUNT(*) FROM contacts) AS contacts, (SELECT COUNT(*) FROM archive) AS archive',
      ),
    };
  }

  listContacts(owner) {
    return this.statements.listContacts.all(owner);
  }

  addContact(owner, contact, addedBy) {
    this.statements.addContact.run(owner, contact.address, contact.name, addedBy, new Date().toISOString());
  }

  removeContact(owner, address) {
    return this.statements.removeContact.run(owner, address).changes > 0;
  }

  archive(owner, item, storedBy) {
    const { lastInsertRowid } = this.statements.archive.run(
      owner,
      item.subject,
      item.body,
      item.sender,
      storedBy,
      new Date().toISOString(),
    );
    return Number(lastInsertRowid);
  }

  listArchive(owner) {
    return this.statements.listArchive.all(owner);
  }

  /** Row counts of every table (the e2e test checks a refused request wrote nothing). */
  counts() {
    return this.statements.counts.get();
  }

  close() {
    this.db.close();
  }
}

module.exports = { MailStore };
