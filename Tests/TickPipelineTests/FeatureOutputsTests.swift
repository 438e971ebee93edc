import Foundation
import Testing
import TickCore
import TickFeatures
import TickIO
@testable import TickPipeline

/// The seam between feature math and the output formats: rows selected once, laid out per
/// format, with the same first-defined rows whatever the format.
struct FeatureOutputsTests {
    static let columns = FeatureColumns(
        timestamps: [1_704_067_200_000, 1_704_067_201_000, 1_704_067_202_000],
        features: [.real([.nan, 0.5, 1e-5]), .integer([ColumnValues.undefinedInteger, ColumnValues.undefinedInteger, 7]),
                   .decimal([ColumnValues.undefinedDecimal, 6_180_030_000_000, -150_000_000])],
        targets: [.integer([1, 0, ColumnValues.undefinedInteger])])

    @Test func undefinedCellsAreEmpty() {
        let csv = CSVRows(Self.columns)
        #expect(String(decoding: csv.features, as: UTF8.self) == """
            1704067200000,,,
            1704067201000,0.5,,61800.3
            1704067202000,1e-05,7,-1.5

            """)
        #expect(String(decoding: csv.targets, as: UTF8.self) == "1704067200000,1\n1704067201000,0\n1704067202000,\n")
        #expect(csv.firstDefinedFeature == [1, 2, 1] && csv.firstDefinedTarget == [0])
        #expect(csv.featuresChecksum == Checksum.crc32c(csv.features))
    }

    @Test(arguments: OutputFormat.allCases)
    func everyFormatSeesTheSameRows(format: OutputFormat) {
        var config = FeatureConfig(interval: BarInterval("1s")!, windows: [2], horizons: [1], hasQuotes: false)
        config.from = 1_704_067_201_000
        let calculator = FeatureCalculator(config: config)
        let rows = PreparedRows(Self.columns, calculator: calculator, options: OutputOptions(format: format, keepsRowTimes: true))
        #expect(rows.rowCount == 2)
        #expect(rows.timestamps == [1_704_067_201_000, 1_704_067_202_000])
        #expect(rows.firstDefinedFeature == [0, 1, 0] && rows.firstDefinedTarget == [0])
        #expect((rows.csv != nil) == format.writesCSV)
        if let csv = rows.csv { #expect(String(decoding: csv.targets, as: UTF8.self) == "1704067201000,0\n1704067202000,\n") }
    }

    @Test func completeRowsOnlyKeepsRowsDefinedInBothFiles() {
        var config = FeatureConfig(interval: BarInterval("1s")!, windows: [2], horizons: [1], hasQuotes: false)
        config.completeRowsOnly = true
        let all = FeatureColumns(timestamps: [1, 2, 3], features: [.real([1, 2, 3]), .integer([1, ColumnValues.undefinedInteger, 3])],
                                 targets: [.decimal([ColumnValues.undefinedDecimal, 5, 6])])
        let written = FeatureCalculator(config: config).writtenRows(all)
        #expect(written.timestamps == [3])
        config.completeRowsOnly = false
        #expect(FeatureCalculator(config: config).writtenRows(all).timestamps == [1, 2, 3])
    }
}
