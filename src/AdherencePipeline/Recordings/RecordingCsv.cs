using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace AdherencePipeline.Recordings;

/// <summary>
/// The project's own recording format: per recording a stem <c>NAME</c> and one CSV per signal,
/// <c>NAME.acc.csv[.gz]</c> (with the metadata as <c>#</c> lines above its header),
/// <c>NAME.hr.csv[.gz]</c> and <c>NAME.rr.csv[.gz]</c>. Times are integer nanoseconds since the
/// recording start, acceleration is in g, values are written in their shortest round-trip form, so
/// writing and reading back gives identical arrays. The layout is specified in docs/recordings.md.
/// </summary>
public static class RecordingCsv
{
    /// <summary>The first line of every accelerometer file in this format.</summary>
    public const string Signature = "# adherence-recording 1";

    /// <summary>Suffix of the accelerometer file, before <c>.csv</c>/<c>.csv.gz</c>.</summary>
    public const string AccSuffix = ".acc";

    /// <summary>Suffix of the heart-rate file.</summary>
    public const string HrSuffix = ".hr";

    /// <summary>Suffix of the RR-interval file.</summary>
    public const string RrSuffix = ".rr";

    private const string StartFormat = "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'";

    private static readonly string[] AccColumns = ["t_ns", "acc_x_g", "acc_y_g", "acc_z_g"];
    private static readonly string[] HrColumns = ["t_ns", "hr_bpm"];
    private static readonly string[] RrColumns = ["t_ns", "rr_ms"];

    /// <summary>
    /// Writes <paramref name="recording"/> as <c>stem.acc.csv.gz</c> (or <c>.csv</c> when
    /// <paramref name="compress"/> is false), plus <c>.hr</c>/<c>.rr</c> files when it has those signals.
    /// Existing files are replaced. Returns the path of the accelerometer file.
    /// </summary>
    public static string Write(Recording recording, string stem, bool compress = true)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentException.ThrowIfNullOrEmpty(stem);
        var extension = compress ? ".csv.gz" : ".csv";
        var accPath = stem + AccSuffix + extension;
        var acc = recording.Accelerometer;
        using (var writer = new Utf8LineWriter(accPath, compress))
        {
            writer.Text(Signature).EndLine();
            writer.Text("# subject: ").Text(recording.SubjectId).EndLine();
            writer.Text("# source: ").Text(recording.Source).EndLine();
            if (recording.Segment is int segment)
            {
                writer.Text("# segment: ").Number(segment).EndLine();
            }

            writer.Text("# sample_rate_hz: ").Number(recording.NominalSampleRateHz).EndLine();
            writer.Text("# accel_scale: ").Text(recording.AccelScale == AccelScale.Calibrated ? "calibrated" : "nominal").EndLine();
            if (recording.StartUtc is DateTimeOffset start)
            {
                writer.Text("# start_utc: ").Text(start.UtcDateTime.ToString(StartFormat, CultureInfo.InvariantCulture)).EndLine();
            }

            writer.Text("# signals: acc")
                .Text(recording.HeartRate is null ? string.Empty : ",hr")
                .Text(recording.RrIntervals is null ? string.Empty : ",rr")
                .EndLine();
            writer.Text(string.Join(',', AccColumns)).Text(acc.HasLabels ? ",label" : string.Empty).Text(acc.HasClipping ? ",clipped" : string.Empty).EndLine();

            var t = acc.TimestampNs.Span;
            var x = acc.XG.Span;
            var y = acc.YG.Span;
            var z = acc.ZG.Span;
            var labels = acc.Labels.Span;
            var clipped = acc.Clipped.Span;
            for (var i = 0; i < t.Length; i++)
            {
                writer.Number(t[i]).Comma().Number(x[i]).Comma().Number(y[i]).Comma().Number(z[i]);
                if (acc.HasLabels)
                {
                    writer.Comma().Number(labels[i]);
                }

                if (acc.HasClipping)
                {
                    writer.Comma().Number(clipped[i] ? 1 : 0);
                }

                writer.EndLine();
            }
        }

        if (recording.HeartRate is HeartRateSeries hr)
        {
            WriteSamples(stem + HrSuffix + extension, compress, HrColumns, hr.TimestampNs.Span, hr.HeartRateBpm.Span, hr.HasQuality, hr.Quality.Span);
        }

        if (recording.RrIntervals is RrIntervalSeries rr)
        {
            WriteSamples(stem + RrSuffix + extension, compress, RrColumns, rr.TimestampNs.Span, rr.IntervalMs.Span, rr.HasQuality, rr.Quality.Span);
        }

        return accPath;
    }

    /// <summary>
    /// Reads a recording given as its stem (<c>dir/NAME</c>) or as any of its files. The signals the
    /// metadata lists must all be present.
    /// </summary>
    /// <exception cref="RecordingFormatException">A file is missing or malformed; the message names file, line and column.</exception>
    public static Recording Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stem = StemOf(path);
        var accPath = RecordingPaths.FindCsv(stem, AccSuffix)
            ?? throw new RecordingFormatException(stem + AccSuffix + ".csv.gz", "file not found (a recording in the project format needs its .acc.csv or .acc.csv.gz file)");

        using var csv = CsvFile.Open(accPath);
        var meta = ReadMetadata(csv, out var header);
        var hasLabels = false;
        var hasClipping = false;
        var columns = new List<string>(AccColumns);
        var headerFields = new CsvFields(header);
        for (var i = 0; i < AccColumns.Length + 2 && headerFields.TryNext(out var field); i++)
        {
            if (i == AccColumns.Length && field.SequenceEqual("label"u8))
            {
                hasLabels = true;
                columns.Add("label");
            }
            else if (i >= AccColumns.Length && field.SequenceEqual("clipped"u8))
            {
                hasClipping = true;
                columns.Add("clipped");
            }
        }

        csv.ExpectHeader(header, columns.ToArray());

        var time = new ColumnBuilder<long>(4096);
        var x = new ColumnBuilder<float>(4096);
        var y = new ColumnBuilder<float>(4096);
        var z = new ColumnBuilder<float>(4096);
        var labels = hasLabels ? new ColumnBuilder<int>(4096) : null;
        var clipped = hasClipping ? new ColumnBuilder<bool>(4096) : null;
        var previousNs = -1L;
        while (csv.TryReadLine(out var line))
        {
            var fields = csv.Row(line);
            var t = ReadTime(csv, ref fields, previousNs);
            x.Add(fields.ReadSingle());
            y.Add(fields.ReadSingle());
            z.Add(fields.ReadSingle());
            labels?.Add(fields.ReadInt32());
            if (clipped is not null)
            {
                var flag = fields.ReadInt32();
                if (flag is not (0 or 1))
                {
                    throw csv.Fail(fields.Column, null, $"clipped must be 0 or 1, not {flag}");
                }

                clipped.Add(flag == 1);
            }

            fields.End();
            time.Add(t);
            previousNs = t;
        }

        var accelerometer = new AccelSeries(time.ToArray(), x.ToArray(), y.ToArray(), z.ToArray(), labels?.ToArray(), clipped?.ToArray());
        HeartRateSeries? heartRate = null;
        RrIntervalSeries? rr = null;
        if (meta.HasHr)
        {
            var (t, v, q) = ReadSamples(RequireSibling(stem, HrSuffix, accPath), HrColumns, "heart rate");
            heartRate = new HeartRateSeries(t, v, q);
        }

        if (meta.HasRr)
        {
            var (t, v, q) = ReadSamples(RequireSibling(stem, RrSuffix, accPath), RrColumns, "RR interval");
            rr = new RrIntervalSeries(t, v, q);
        }

        return new Recording(meta.Subject, meta.Source, accelerometer, meta.SampleRateHz, meta.Scale, meta.Segment, meta.StartUtc, heartRate, rr);
    }

    /// <summary>The stem of a path: <c>dir/NAME</c> for <c>dir/NAME.acc.csv.gz</c>, its <c>.hr</c>/<c>.rr</c> siblings, or <c>dir/NAME</c> itself.</summary>
    internal static string StemOf(string path)
    {
        var name = Path.GetFileName(path);
        var bare = RecordingPaths.WithoutCsvExtension(name);
        if (bare.Length == name.Length)
        {
            return path;
        }

        foreach (var suffix in (ReadOnlySpan<string>)[AccSuffix, HrSuffix, RrSuffix])
        {
            if (bare.EndsWith(suffix, StringComparison.Ordinal) && bare.Length > suffix.Length)
            {
                return Path.Combine(Path.GetDirectoryName(path) ?? string.Empty, bare[..^suffix.Length]);
            }
        }

        return path;
    }

    /// <summary>Whether a file name is the accelerometer file of this format.</summary>
    internal static bool IsAccFileName(string name) =>
        name.EndsWith(AccSuffix + ".csv", StringComparison.Ordinal) || name.EndsWith(AccSuffix + ".csv.gz", StringComparison.Ordinal);

    private static string RequireSibling(string stem, string suffix, string accPath) =>
        RecordingPaths.FindCsv(stem, suffix)
        ?? throw new RecordingFormatException(stem + suffix + ".csv.gz", $"file not found, but the signals line of {accPath} lists it");

    private static long ReadTime(CsvFile csv, ref CsvRow fields, long previousNs)
    {
        var t = fields.ReadNonNegativeInt64();
        if (t <= previousNs)
        {
            throw csv.TimeNotIncreasing(fields.Column, previousNs, t);
        }

        return t;
    }

    private static (long[] Time, double[] Values, int[]? Quality) ReadSamples(string path, string[] columns, string what)
    {
        using var csv = CsvFile.Open(path);
        if (!csv.TryReadLine(out var header))
        {
            throw new RecordingFormatException(path, $"file is empty: expected the header {string.Join(',', columns)}[,quality]");
        }

        var hasQuality = header.EndsWith(",quality"u8);
        csv.ExpectHeader(header, hasQuality ? [.. columns, "quality"] : columns);
        var time = new ColumnBuilder<long>(4096);
        var values = new ColumnBuilder<double>(4096);
        var quality = hasQuality ? new ColumnBuilder<int>(4096) : null;
        var previousNs = -1L;
        while (csv.TryReadLine(out var line))
        {
            var fields = csv.Row(line);
            var t = ReadTime(csv, ref fields, previousNs);
            var value = fields.ReadDouble();
            if (value < 0)
            {
                throw csv.Fail(fields.Column, null, $"a {what} cannot be negative ({value.ToString(CultureInfo.InvariantCulture)})");
            }

            values.Add(value);
            quality?.Add(fields.ReadInt32());
            fields.End();
            time.Add(t);
            previousNs = t;
        }

        return (time.ToArray(), values.ToArray(), quality?.ToArray());
    }

    private static void WriteSamples(string path, bool compress, string[] columns, ReadOnlySpan<long> time, ReadOnlySpan<double> values, bool hasQuality, ReadOnlySpan<int> quality)
    {
        using var writer = new Utf8LineWriter(path, compress);
        writer.Text(string.Join(',', columns)).Text(hasQuality ? ",quality" : string.Empty).EndLine();
        for (var i = 0; i < time.Length; i++)
        {
            writer.Number(time[i]).Comma().Number(values[i]);
            if (hasQuality)
            {
                writer.Comma().Number(quality[i]);
            }

            writer.EndLine();
        }
    }

    private static Metadata ReadMetadata(CsvFile csv, out ReadOnlySpan<byte> header)
    {
        if (!csv.TryReadLine(out var first) || !first.SequenceEqual(Encoding.UTF8.GetBytes(Signature)))
        {
            throw csv.LineNumber == 0
                ? new RecordingFormatException(csv.Path, $"file is empty: expected '{Signature}' on line 1")
                : csv.Fail(null, null, $"expected '{Signature}', found '{CsvFile.Show(first)}'");
        }

        string? subject = null;
        string? source = null;
        int? segment = null;
        double? rate = null;
        AccelScale? scale = null;
        DateTimeOffset? start = null;
        bool? hasHr = null;
        bool? hasRr = null;
        while (true)
        {
            if (!csv.TryReadLine(out var line))
            {
                throw new RecordingFormatException(csv.Path, $"ends after line {csv.LineNumber}, before the column header");
            }

            if (line.IsEmpty || line[0] != (byte)'#')
            {
                header = line;
                break;
            }

            var text = Encoding.UTF8.GetString(line[1..]).Trim();
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw csv.Fail(null, null, $"metadata line '{text}' is not 'key: value'");
            }

            var key = text[..colon].Trim();
            var value = text[(colon + 1)..].Trim();
            switch (key)
            {
                case "subject":
                    subject = Once(csv, key, subject, ValidName(csv, key, value));
                    break;
                case "source":
                    source = Once(csv, key, source, ValidName(csv, key, value));
                    break;
                case "segment":
                    segment = Once(csv, key, segment, int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var s)
                        ? s
                        : throw csv.Fail(null, null, $"segment '{value}' is not a non-negative integer"));
                    break;
                case "sample_rate_hz":
                    rate = Once(csv, key, rate, double.TryParse(value, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var r) && double.IsFinite(r) && r > 0
                        ? r
                        : throw csv.Fail(null, null, $"sample_rate_hz '{value}' is not a positive number"));
                    break;
                case "accel_scale":
                    scale = Once(csv, key, scale, value switch
                    {
                        "calibrated" => AccelScale.Calibrated,
                        "nominal" => AccelScale.Nominal,
                        _ => throw csv.Fail(null, null, $"accel_scale '{value}' is neither 'calibrated' nor 'nominal'"),
                    });
                    break;
                case "start_utc":
                    start = Once(csv, key, start, DateTimeOffset.TryParseExact(value, StartFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var st)
                        ? st
                        : throw csv.Fail(null, null, $"start_utc '{value}' is not a UTC time like 2022-11-04T23:29:49Z"));
                    break;
                case "signals":
                    if (hasHr is not null)
                    {
                        throw csv.Fail(null, null, "metadata 'signals' is given twice");
                    }

                    var signals = value.Split(',', StringSplitOptions.TrimEntries);
                    if (signals.Length == 0 || signals[0] != "acc" || signals.Distinct(StringComparer.Ordinal).Count() != signals.Length
                        || signals.Any(x => x is not ("acc" or "hr" or "rr")))
                    {
                        throw csv.Fail(null, null, $"signals '{value}' must be 'acc' followed by any of 'hr', 'rr'");
                    }

                    hasHr = signals.Contains("hr");
                    hasRr = signals.Contains("rr");
                    break;
                default:
                    throw csv.Fail(null, null, $"unknown metadata key '{key}'");
            }
        }

        static T Once<T>(CsvFile csv, string key, T? current, T value)
        {
            return current is null ? value : throw csv.Fail(null, null, $"metadata '{key}' is given twice");
        }

        static string ValidName(CsvFile csv, string key, string value)
        {
            return value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
                ? value
                : throw csv.Fail(null, null, $"{key} '{value}' may hold only ASCII letters, digits, '-', '_' and '.'");
        }

        string Missing(string key) => $"metadata '{key}' is missing above the column header on line {csv.LineNumber}";
        return new Metadata(
            subject ?? throw new RecordingFormatException(csv.Path, Missing("subject")),
            source ?? throw new RecordingFormatException(csv.Path, Missing("source")),
            segment,
            rate ?? throw new RecordingFormatException(csv.Path, Missing("sample_rate_hz")),
            scale ?? throw new RecordingFormatException(csv.Path, Missing("accel_scale")),
            start,
            hasHr ?? throw new RecordingFormatException(csv.Path, Missing("signals")),
            hasRr ?? false);
    }

    private sealed record Metadata(string Subject, string Source, int? Segment, double SampleRateHz, AccelScale Scale, DateTimeOffset? StartUtc, bool HasHr, bool HasRr);

    /// <summary>Formats lines straight into a UTF-8 buffer and writes it out in large chunks.</summary>
    private sealed class Utf8LineWriter : IDisposable
    {
        private const int ChunkBytes = 64 * 1024;
        private const int MaxFieldBytes = 64;

        private readonly Stream _stream;
        private readonly byte[] _buffer = new byte[ChunkBytes];
        private int _length;

        public Utf8LineWriter(string path, bool compress)
        {
            var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1);
            _stream = compress ? new GZipStream(file, CompressionLevel.Optimal, leaveOpen: false) : file;
        }

        public Utf8LineWriter Text(string text)
        {
            var bytes = Encoding.UTF8.GetByteCount(text);
            Reserve(bytes);
            _length += Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_length));
            return this;
        }

        public Utf8LineWriter Number<T>(T value)
            where T : IUtf8SpanFormattable
        {
            Reserve(MaxFieldBytes);
            if (!value.TryFormat(_buffer.AsSpan(_length), out var written, default, CultureInfo.InvariantCulture))
            {
                throw new InvalidOperationException($"Could not format {value}.");
            }

            _length += written;
            return this;
        }

        public Utf8LineWriter Comma() => Byte((byte)',');

        public Utf8LineWriter EndLine() => Byte((byte)'\n');

        public void Dispose()
        {
            _stream.Write(_buffer, 0, _length);
            _length = 0;
            _stream.Dispose();
        }

        private Utf8LineWriter Byte(byte b)
        {
            Reserve(1);
            _buffer[_length++] = b;
            return this;
        }

        private void Reserve(int bytes)
        {
            if (bytes > ChunkBytes)
            {
                throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "A single field is longer than the write buffer.");
            }

            if (_length + bytes > ChunkBytes)
            {
                _stream.Write(_buffer, 0, _length);
                _length = 0;
            }
        }
    }
}
