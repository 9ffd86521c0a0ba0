namespace AdherencePipeline.Recordings;

/// <summary>
/// One continuous recording of one subject: accelerometer columns in g, and heart rate and RR
/// intervals where the source has them. Training, evaluation, replay and tests all read this type;
/// units were converted once, by the reader that built it.
/// </summary>
/// <remarks>
/// Every timestamp is nanoseconds since the recording start (its first accelerometer sample is not
/// necessarily at 0: heart rate may start earlier). Where the source gives a start instant,
/// <see cref="StartUtc"/> turns them into absolute time: see <see cref="ToUnixTimeNs"/>. One time base
/// for all sources keeps windowing and replay code free of "is this absolute?" branches.
/// </remarks>
public sealed class Recording
{
    /// <summary>Creates a recording and checks its metadata.</summary>
    /// <param name="subjectId">Pseudonymous subject code, such as <c>subject3</c> or <c>participant07</c>: letters, digits, '-' and '_'.</param>
    /// <param name="source">The data set or device the samples come from, such as <c>daily-sports-torso</c>; labels are in this source's ids.</param>
    /// <param name="accelerometer">The accelerometer samples.</param>
    /// <param name="nominalSampleRateHz">The accelerometer's nominal sample rate in Hz.</param>
    /// <param name="accelScale">Whether the acceleration is calibrated or only nominally scaled.</param>
    /// <param name="segment">Index of this recording among those cut from one source file (0-based), or null when the file holds one recording.</param>
    /// <param name="startUtc">The instant of time 0, when the source gives it.</param>
    /// <param name="heartRate">Heart-rate samples, when the source has them.</param>
    /// <param name="rrIntervals">RR intervals, when the source has them.</param>
    public Recording(
        string subjectId,
        string source,
        AccelSeries accelerometer,
        double nominalSampleRateHz,
        AccelScale accelScale,
        int? segment = null,
        DateTimeOffset? startUtc = null,
        HeartRateSeries? heartRate = null,
        RrIntervalSeries? rrIntervals = null)
    {
        ValidateName(subjectId, nameof(subjectId));
        ValidateName(source, nameof(source));
        ArgumentNullException.ThrowIfNull(accelerometer);
        if (!double.IsFinite(nominalSampleRateHz) || nominalSampleRateHz <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(nominalSampleRateHz), nominalSampleRateHz, "The sample rate must be a positive number of Hz.");
        }

        if (!Enum.IsDefined(accelScale))
        {
            throw new ArgumentOutOfRangeException(nameof(accelScale), accelScale, "Unknown acceleration scale.");
        }

        if (segment < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(segment), segment, "A segment index is 0 or more.");
        }

        if (startUtc is { Offset.Ticks: not 0 })
        {
            throw new ArgumentException("The start instant must be given in UTC (offset 0).", nameof(startUtc));
        }

        SubjectId = subjectId;
        Source = source;
        Accelerometer = accelerometer;
        NominalSampleRateHz = nominalSampleRateHz;
        AccelScale = accelScale;
        Segment = segment;
        StartUtc = startUtc;
        HeartRate = heartRate;
        RrIntervals = rrIntervals;
    }

    /// <summary>Pseudonymous subject code, taken from the source's file name (e.g. <c>subject001</c>).</summary>
    public string SubjectId { get; }

    /// <summary>The data set or device the samples come from; the label ids are this source's.</summary>
    public string Source { get; }

    /// <summary>Index among the recordings cut from one source file (daily-sports-torso: one per activity block), or null when the file holds one recording.</summary>
    public int? Segment { get; }

    /// <summary>The accelerometer samples, in g.</summary>
    public AccelSeries Accelerometer { get; }

    /// <summary>The accelerometer's nominal sample rate in Hz (the real rate may drift).</summary>
    public double NominalSampleRateHz { get; }

    /// <summary>Whether <see cref="Accelerometer"/> is calibrated to g or only nominally scaled.</summary>
    public AccelScale AccelScale { get; }

    /// <summary>The UTC instant of time 0, or null when the source does not give it.</summary>
    public DateTimeOffset? StartUtc { get; }

    /// <summary>Heart-rate samples, or null when the source has none.</summary>
    public HeartRateSeries? HeartRate { get; }

    /// <summary>RR intervals, or null when the source has none.</summary>
    public RrIntervalSeries? RrIntervals { get; }

    /// <summary>
    /// Time covered by the accelerometer: from its first sample to one nominal period after its last,
    /// so 7,500 samples at 25 Hz cover exactly 300 s. Zero for an empty series.
    /// </summary>
    public TimeSpan AccelDuration
    {
        get
        {
            var t = Accelerometer.TimestampNs.Span;
            if (t.IsEmpty)
            {
                return TimeSpan.Zero;
            }

            var periodNs = Math.Round(1e9 / NominalSampleRateHz);
            return TimeSpan.FromTicks((long)Math.Round((t[^1] - t[0] + periodNs) / 100.0));
        }
    }

    /// <summary>Converts a timestamp of this recording to nanoseconds since the Unix epoch; null when <see cref="StartUtc"/> is unknown.</summary>
    public long? ToUnixTimeNs(long timestampNs) =>
        StartUtc is DateTimeOffset start ? ((start.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100) + timestampNs : null;

    /// <summary>A short name for logs and messages: <c>source/subject</c>, plus <c>#segment</c> when a file was cut.</summary>
    public override string ToString() => Segment is int segment
        ? $"{Source}/{SubjectId}#{segment}"
        : $"{Source}/{SubjectId}";

    private static void ValidateName(string value, string parameter)
    {
        ArgumentException.ThrowIfNullOrEmpty(value, parameter);
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                throw new ArgumentException($"'{value}' may hold only ASCII letters, digits, '-', '_' and '.'.", parameter);
            }
        }
    }
}
