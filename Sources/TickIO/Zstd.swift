import CZstd
import TickCore

/// One-shot zstd compression and decompression of whole buffers (stable API only). The only
/// door to libzstd for other modules.
public enum Zstd {
    /// A reusable compression context; one per thread (not shareable).
    public final class Compressor {
        private let context: OpaquePointer
        public let level: Int32

        /// `level`: zstd's 1…22, or a negative "fast" level (faster, larger) down to `ZSTD_minCLevel()`.
        public init(level: Int32 = 3) {
            context = ZSTD_createCCtx()!
            self.level = level
            ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
            // A content checksum in every frame: zstd verifies it when decompressing.
            ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
        }

        deinit { ZSTD_freeCCtx(context) }

        /// Compresses `input` into one frame (content size recorded in the frame header).
        public func compress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
            let bound = ZSTD_compressBound(input.count)
            var written = 0
            // Uninitialised: zstd writes every byte it reports, and the rest is cut off.
            let output = [UInt8](unsafeUninitializedCapacity: bound) { out, count in
                written = ZSTD_compress2(context, out.baseAddress, bound, input.baseAddress, input.count)
                count = ZSTD_isError(written) != 0 ? 0 : written
            }
            if ZSTD_isError(written) != 0 {
                throw TickError.limitExceeded("zstd compression failed: \(String(cString: ZSTD_getErrorName(written)))")
            }
            return output
        }

        public func compress(_ input: [UInt8]) throws -> [UInt8] {
            try input.withUnsafeBytes { try compress($0) }
        }
    }

    /// Decompresses one frame whose decompressed size must be `expectedSize`; any mismatch,
    /// corruption or checksum failure is an error naming `path`.
    public static func decompress(_ frame: UnsafeRawBufferPointer, expectedSize: Int, path: String) throws -> [UInt8] {
        let declared = ZSTD_getFrameContentSize(frame.baseAddress, frame.count)
        // ZSTD_CONTENTSIZE_ERROR / _UNKNOWN are the two largest UInt64 values.
        guard declared < UInt64.max - 1, declared == UInt64(expectedSize) else {
            throw TickError.unreadable(path: path, reason: "corrupt zstd frame: declared size \(declared == UInt64.max - 1 ? "error" : declared == UInt64.max ? "unknown" : String(declared)), expected \(expectedSize)")
        }
        if expectedSize > streamingThreshold {
            return try decompressGrowing(frame, expectedSize: expectedSize, path: path)
        }
        var output = [UInt8](repeating: 0, count: expectedSize)
        let got = output.withUnsafeMutableBytes { out in
            ZSTD_decompress(out.baseAddress, expectedSize, frame.baseAddress, frame.count)
        }
        if ZSTD_isError(got) != 0 {
            throw TickError.unreadable(path: path, reason: "its compressed data is damaged (zstd cannot decode it)")
        }
        guard got == expectedSize else {
            throw TickError.unreadable(path: path, reason: "corrupt zstd frame: \(got) bytes instead of \(expectedSize)")
        }
        return output
    }

    /// Above this, output memory grows with what the frame really yields instead of being taken
    /// up front at the size a (possibly damaged) header declares.
    static let streamingThreshold = 8 << 20

    /// Streaming decompression into a buffer that grows 1 MiB at a time: a garbage frame that
    /// claims gigabytes fails after a few bytes without the gigabytes ever being allocated.
    static func decompressGrowing(_ frame: UnsafeRawBufferPointer, expectedSize: Int, path: String) throws -> [UInt8] {
        guard let context = ZSTD_createDCtx() else { throw TickError.unreadable(path: path, reason: "cannot start zstd decoding") }
        defer { ZSTD_freeDCtx(context) }
        var output: [UInt8] = []
        var input = ZSTD_inBuffer(src: frame.baseAddress, size: frame.count, pos: 0)
        let step = 1 << 20
        while true {
            let start = output.count
            let room = min(step, expectedSize + 1 - start)
            guard room > 0 else {
                throw TickError.unreadable(path: path, reason: "corrupt zstd frame: more than the expected \(expectedSize) bytes")
            }
            output.append(contentsOf: repeatElement(0, count: room))
            var produced = 0
            let hint = output.withUnsafeMutableBytes { out -> Int in
                var buffer = ZSTD_outBuffer(dst: out.baseAddress! + start, size: room, pos: 0)
                let result = ZSTD_decompressStream(context, &buffer, &input)
                produced = buffer.pos
                return result
            }
            output.removeLast(room - produced)
            if ZSTD_isError(hint) != 0 {
                throw TickError.unreadable(path: path, reason: "its compressed data is damaged (zstd cannot decode it)")
            }
            if hint == 0 { break }  // frame complete
            if produced == 0 && input.pos == input.size {
                throw TickError.unreadable(path: path, reason: "corrupt zstd frame: truncated")
            }
        }
        guard output.count == expectedSize else {
            throw TickError.unreadable(path: path, reason: "corrupt zstd frame: \(output.count) bytes instead of \(expectedSize)")
        }
        return output
    }

    public static func decompress(_ frame: [UInt8], expectedSize: Int, path: String) throws -> [UInt8] {
        try frame.withUnsafeBytes { try decompress($0, expectedSize: expectedSize, path: path) }
    }

    /// The version of the linked libzstd, e.g. `1.5.4`.
    public static var libraryVersion: String { String(cString: ZSTD_versionString()) }
}
