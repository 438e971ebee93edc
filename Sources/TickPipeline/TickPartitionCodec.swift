import Foundation
import TickCore
import TickFeatures
import TickStore

/// Tick batches and feature columns as partition file contents, and back.
enum PartitionCodec {
    /// The metadata key of the rows held back after a tick partition's last row.
    static let heldRowsKey = "held_rows"

    /// A tick partition's contents; `heldAfter` are the rows the validator holds back after its
    /// last row (stored so that a resume from this partition can restore them).
    static func contents(_ batch: TickBatch, heldAfter held: [HeldRow] = []) throws -> PartitionContents {
        var contents = tickContents(batch)
        if !held.isEmpty {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            contents.metadata[heldRowsKey] = String(decoding: try encoder.encode(held), as: UTF8.self)
        }
        return contents
    }

    /// The held rows stored in a tick partition's metadata.
    static func heldRows(_ metadata: [String: String], path: String) throws -> [HeldRow] {
        guard let text = metadata[heldRowsKey] else { return [] }
        do {
            return try JSONDecoder.snakeCase.decode([HeldRow].self, from: Data(text.utf8))
        } catch {
            throw TickError.unreadable(path: path, reason: "its record of the rows held back after it is damaged")
        }
    }

    private static func tickContents(_ batch: TickBatch) -> PartitionContents {
        let times = batch.times
        switch batch {
        case .trades(let t):
            var columns = [StoredColumn(name: "time", payload: .int64(t.time)),
                           StoredColumn(name: "price", payload: .int64(t.price)),
                           StoredColumn(name: "quantity", payload: .int64(t.quantity)),
                           StoredColumn(name: "buyer_aggressor", payload: .uint8(t.buyerAggressor))]
            if !t.id.isEmpty { columns.append(StoredColumn(name: "id", payload: .int64(t.id))) }
            if !t.sequence.isEmpty { columns.append(StoredColumn(name: "sequence", payload: .int64(t.sequence))) }
            return PartitionContents(kind: "trades", rowCount: t.count, minTime: times.first ?? 0, maxTime: times.last ?? 0,
                                     columns: columns)
        case .quotes(let q):
            var columns = [StoredColumn(name: "time", payload: .int64(q.time)),
                           StoredColumn(name: "bid_price", payload: .int64(q.bidPrice)),
                           StoredColumn(name: "bid_quantity", payload: .int64(q.bidQuantity)),
                           StoredColumn(name: "ask_price", payload: .int64(q.askPrice)),
                           StoredColumn(name: "ask_quantity", payload: .int64(q.askQuantity))]
            if !q.id.isEmpty { columns.append(StoredColumn(name: "id", payload: .int64(q.id))) }
            if !q.sequence.isEmpty { columns.append(StoredColumn(name: "sequence", payload: .int64(q.sequence))) }
            return PartitionContents(kind: "quotes", rowCount: q.count, minTime: times.first ?? 0, maxTime: times.last ?? 0,
                                     columns: columns)
        }
    }

    static func batch(_ contents: PartitionContents, path: String) throws -> TickBatch {
        var byName: [String: ColumnPayload] = [:]
        for column in contents.columns { byName[column.name] = column.payload }
        func int64(_ name: String, required: Bool = true) throws -> [Int64] {
            guard case .int64(let values)? = byName[name] else {
                if !required { return [] }
                throw TickError.unreadable(path: path, reason: "partition has no int64 column '\(name)'")
            }
            guard values.count == contents.rowCount else {
                throw TickError.unreadable(path: path, reason: "column '\(name)' has \(values.count) rows, not \(contents.rowCount)")
            }
            return values
        }
        switch contents.kind {
        case "trades":
            var t = TradeColumns()
            t.time = try int64("time"); t.price = try int64("price"); t.quantity = try int64("quantity")
            t.id = try int64("id", required: false)
            t.sequence = try int64("sequence", required: false)
            guard case .uint8(let sides)? = byName["buyer_aggressor"], sides.count == contents.rowCount else {
                throw TickError.unreadable(path: path, reason: "partition has no valid 'buyer_aggressor' column")
            }
            t.buyerAggressor = sides
            return .trades(t)
        case "quotes":
            var q = QuoteColumns()
            q.time = try int64("time"); q.bidPrice = try int64("bid_price"); q.bidQuantity = try int64("bid_quantity")
            q.askPrice = try int64("ask_price"); q.askQuantity = try int64("ask_quantity")
            q.id = try int64("id", required: false)
            q.sequence = try int64("sequence", required: false)
            return .quotes(q)
        default:
            throw TickError.unreadable(path: path, reason: "partition kind '\(contents.kind)' is not trades or quotes")
        }
    }

    static func contents(_ columns: FeatureColumns, catalog: ColumnCatalog, firstRow: Int) -> PartitionContents {
        func storedColumn(_ name: String, _ values: ColumnValues) -> StoredColumn {
            switch values {
            case .integer(let v): StoredColumn(name: name, payload: .int64(v))
            case .decimal(let v): StoredColumn(name: name, payload: .int128(v))
            case .real(let v): StoredColumn(name: name, payload: .float64(v))
            }
        }
        var stored = [StoredColumn(name: "timestamp", payload: .int64(columns.timestamps))]
        stored += zip(catalog.features, columns.features).map { storedColumn("f." + $0.name, $1) }
        stored += zip(catalog.targets, columns.targets).map { storedColumn("t." + $0.name, $1) }
        return PartitionContents(kind: "features", rowCount: columns.rowCount,
                                 minTime: (columns.timestamps.first ?? 0) * 1000, maxTime: (columns.timestamps.last ?? 0) * 1000,
                                 metadata: ["first_row": String(firstRow)], columns: stored)
    }

    static func featureColumns(_ contents: PartitionContents, catalog: ColumnCatalog, path: String) throws -> FeatureColumns {
        let expected = ["timestamp"] + catalog.features.map { "f." + $0.name } + catalog.targets.map { "t." + $0.name }
        guard contents.kind == "features", contents.columns.map(\.name) == expected else {
            throw TickError.unreadable(path: path, reason: "feature partition columns do not match the flags of this run")
        }
        func values(_ payload: ColumnPayload, _ spec: ColumnSpec) throws -> ColumnValues {
            switch (payload, spec.kind) {
            case (.int64(let v), .integer): return .integer(v)
            case (.int128(let v), .decimal): return .decimal(v)
            case (.float64(let v), .real): return .real(v)
            default: throw TickError.unreadable(path: path, reason: "column '\(spec.name)' has the wrong type")
            }
        }
        guard case .int64(let timestamps) = contents.columns[0].payload else {
            throw TickError.unreadable(path: path, reason: "timestamp column has the wrong type")
        }
        let featureCount = catalog.features.count
        return FeatureColumns(
            timestamps: timestamps,
            features: try zip(contents.columns[1...featureCount], catalog.features).map { try values($0.payload, $1) },
            targets: try zip(contents.columns[(1 + featureCount)...], catalog.targets).map { try values($0.payload, $1) })
    }
}
