import Fluent

/// Small named settings (company name, first-run state). Values are plain text.
public enum Settings {
    public static func get(_ key: String, on db: any Database) async throws -> String? {
        try await SettingModel.find(key, on: db)?.value
    }

    public static func set(_ key: String, _ value: String, on db: any Database) async throws {
        if let existing = try await SettingModel.find(key, on: db) {
            existing.value = value
            try await existing.update(on: db)
        } else {
            let row = SettingModel()
            row.id = key
            row.value = value
            try await row.create(on: db)
        }
    }
}
