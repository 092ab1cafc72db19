import SQLKit

/// Foreign keys that PostgreSQL checks once per statement instead of once per row, for tables written in bulk.
///
/// A declared foreign key makes PostgreSQL run a lookup query through its SPI layer for every inserted row (plan
/// execution, `FOR KEY SHARE` lock, executor start and end each time): half of the database's time when a batch of
/// 10,000 entries inserts 25,000 lines (docs/DECISIONS.md, BENCHMARKS.md). Here the same constraint is kept by
/// triggers instead:
/// - after each statement that inserts or updates child rows, the distinct keys it wrote are looked up in the parent
///   table in one query, each parent row locked `FOR KEY SHARE` as a foreign key check locks it (so it cannot be
///   deleted, nor its key changed, until the writing transaction ends); a key that is missing raises
///   `foreign_key_violation` (SQLSTATE 23503) with the same message and detail PostgreSQL gives, and the statement
///   is undone;
/// - after each row deleted from the parent, or whose key is changed, a child row still naming the old key raises the
///   same error (the declared key's `NO ACTION`: checked at the end of the statement, so rows deleted together may
///   refer to each other). The child column needs an index for this to be quick, as for a declared key;
/// - `TRUNCATE` of the parent is refused while the child table has rows, as PostgreSQL refuses it for a declared key
///   (stricter only in refusing it even when the same statement truncates the child too).
/// On SQLite nothing changes: its foreign key checks are a B-tree seek each, and stay declared.
public enum StatementReferences {
    /// One foreign key: `table.column` names a row of `parent` by `key`. `constraint` is the declared key's name,
    /// which the errors keep and a revert restores.
    public struct Reference: Sendable {
        public let column: String
        public let parent: String
        public let key: String
        public let constraint: String

        public init(column: String, parent: String, key: String = "id", constraint: String) {
            self.column = column
            self.parent = parent
            self.key = key
            self.constraint = constraint
        }
    }

    /// Replaces `table`'s declared foreign keys `references` by the triggers. PostgreSQL only; run in a transaction.
    public static func install(on db: any SQLDatabase, table: String, references: [Reference]) async throws {
        var statements = references.map { "ALTER TABLE \(quoted(table)) DROP CONSTRAINT \(quoted($0.constraint))" }
        statements.append(childFunction(table: table, references: references))
        for event in ["INSERT", "UPDATE"] {
            statements.append("""
                CREATE TRIGGER \(quoted(childTrigger(table, event))) AFTER \(event) ON \(quoted(table)) \
                REFERENCING NEW TABLE AS keel_new_rows FOR EACH STATEMENT EXECUTE FUNCTION \(quoted(childFunctionName(table)))()
                """)
        }
        for reference in references {
            statements.append(parentFunction(table: table, reference: reference))
            statements.append("""
                CREATE TRIGGER \(quoted(parentName(table, reference))) AFTER DELETE OR UPDATE OF \(quoted(reference.key)) \
                ON \(quoted(reference.parent)) FOR EACH ROW EXECUTE FUNCTION \(quoted(parentName(table, reference)))()
                """)
            statements.append("""
                CREATE TRIGGER \(quoted(truncateTrigger(table, reference))) BEFORE TRUNCATE \
                ON \(quoted(reference.parent)) FOR EACH STATEMENT EXECUTE FUNCTION \(quoted(parentName(table, reference)))()
                """)
        }
        for statement in statements { try await db.raw(SQLQueryString(statement)).run() }
    }

    /// Undoes `install`: the triggers go, the declared foreign keys come back under their names.
    public static func uninstall(on db: any SQLDatabase, table: String, references: [Reference]) async throws {
        var statements: [String] = []
        for reference in references {
            statements.append("DROP TRIGGER \(quoted(parentName(table, reference))) ON \(quoted(reference.parent))")
            statements.append("DROP TRIGGER \(quoted(truncateTrigger(table, reference))) ON \(quoted(reference.parent))")
            statements.append("DROP FUNCTION \(quoted(parentName(table, reference)))()")
        }
        for event in ["INSERT", "UPDATE"] {
            statements.append("DROP TRIGGER \(quoted(childTrigger(table, event))) ON \(quoted(table))")
        }
        statements.append("DROP FUNCTION \(quoted(childFunctionName(table)))()")
        statements += references.map {
            "ALTER TABLE \(quoted(table)) ADD CONSTRAINT \(quoted($0.constraint)) FOREIGN KEY (\(quoted($0.column))) "
                + "REFERENCES \(quoted($0.parent)) (\(quoted($0.key)))"
        }
        for statement in statements { try await db.raw(SQLQueryString(statement)).run() }
    }

    static func childTrigger(_ table: String, _ event: String) -> String { "\(table)_references_\(event.lowercased())" }

    static func childFunctionName(_ table: String) -> String { "\(table)_check_references" }

    static func parentName(_ table: String, _ reference: Reference) -> String {
        "\(table)_\(reference.column)_referenced"
    }

    static func truncateTrigger(_ table: String, _ reference: Reference) -> String {
        parentName(table, reference) + "_truncate"
    }

    /// The statement trigger's function: per reference, the distinct non-NULL keys written, each looked up and
    /// locked in its parent by index (a LATERAL subquery with a locking clause is not flattened into a join, so a
    /// batch never scans the whole parent table); the first key without a parent row is the error.
    static func childFunction(table: String, references: [Reference]) -> String {
        let checks = references.map { reference in
            let column = quoted(reference.column), parent = quoted(reference.parent), key = quoted(reference.key)
            return """
                    SELECT wanted.key::text INTO missing
                    FROM (SELECT DISTINCT \(column) AS key FROM keel_new_rows WHERE \(column) IS NOT NULL) AS wanted
                    LEFT JOIN LATERAL (SELECT true AS present FROM \(parent) AS p WHERE p.\(key) = wanted.key
                                       FOR KEY SHARE OF p) AS locked ON true
                    WHERE locked.present IS NULL LIMIT 1;
                    IF FOUND THEN
                        RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"', \
                \(literal(table)), \(literal(reference.constraint))
                            USING ERRCODE = 'foreign_key_violation', TABLE = \(literal(table)),
                                  CONSTRAINT = \(literal(reference.constraint)),
                                  DETAIL = format('Key (%s)=(%s) is not present in table "%s".', \
                \(literal(reference.column)), missing, \(literal(reference.parent)));
                    END IF;
                """
        }
        return """
            CREATE FUNCTION \(quoted(childFunctionName(table)))() RETURNS trigger LANGUAGE plpgsql AS $keel$
            DECLARE
                missing text;
            BEGIN
            \(checks.joined(separator: "\n"))
                RETURN NULL;
            END
            $keel$
            """
    }

    /// The parent's row trigger: a deleted row, or one whose key changed, must not be named by a child row.
    static func parentFunction(table: String, reference: Reference) -> String {
        let key = quoted(reference.key)
        return """
            CREATE FUNCTION \(quoted(parentName(table, reference)))() RETURNS trigger LANGUAGE plpgsql AS $keel$
            BEGIN
                IF TG_OP = 'TRUNCATE' THEN
                    IF EXISTS (SELECT 1 FROM \(quoted(table))) THEN
                        RAISE EXCEPTION 'cannot truncate a table referenced in a foreign key constraint'
                            USING ERRCODE = 'feature_not_supported', TABLE = \(literal(reference.parent)),
                                  CONSTRAINT = \(literal(reference.constraint)),
                                  DETAIL = format('Table "%s" references "%s".', \(literal(table)), \(literal(reference.parent)));
                    END IF;
                    RETURN NULL;
                END IF;
                IF TG_OP = 'UPDATE' AND NEW.\(key) IS NOT DISTINCT FROM OLD.\(key) THEN
                    RETURN NULL;
                END IF;
                IF EXISTS (SELECT 1 FROM \(quoted(table)) WHERE \(quoted(reference.column)) = OLD.\(key)) THEN
                    RAISE EXCEPTION 'update or delete on table "%" violates foreign key constraint "%" on table "%"', \
            \(literal(reference.parent)), \(literal(reference.constraint)), \(literal(table))
                        USING ERRCODE = 'foreign_key_violation', TABLE = \(literal(reference.parent)),
                              CONSTRAINT = \(literal(reference.constraint)),
                              DETAIL = format('Key (%s)=(%s) is still referenced from table "%s".', \
            \(literal(reference.key)), OLD.\(key)::text, \(literal(table)));
                END IF;
                RETURN NULL;
            END
            $keel$
            """
    }

    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
}
