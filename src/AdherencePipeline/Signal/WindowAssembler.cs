namespace AdherencePipeline.Signal;

/// <summary>Window length and overlap. Defaults: 5 s windows with 50 % overlap.</summary>
public sealed record WindowOptions
{
    /// <summary>Window length.</summary>
    public TimeSpan Length { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Fraction of a window shared with the next, in [0, 1).</summary>
    public double Overlap { get; init; } = 0.5;

    /// <summary>Time between window starts.</summary>
    public TimeSpan Hop => TimeSpan.FromTicks((long)Math.Round(Length.Ticks * (1 - Overlap)));

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a zero length or an overlap outside [0, 1).</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Length, TimeSpan.Zero);
        if (Overlap is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Overlap), Overlap, "The overlap must lie in [0, 1).");
        }
    }
}

/// <summary>
/// One analysis window of acceleration at the analysis rate, with the gravity estimate of each
/// sample. A window that is not fully covered (missing samples, stream start or end) or that
/// overlaps a gap says so; it is never silently treated as complete.
/// </summary>
public sealed class AccelerationWindow
{
    internal AccelerationWindow(long startNs, long endNs, int expectedSamples, int count)
    {
        StartNs = startNs;
        EndNs = endNs;
        ExpectedSamples = expectedSamples;
        TimestampsNs = new long[count];
        X = new float[count];
        Y = new float[count];
        Z = new float[count];
        GravityX = new float[count];
        GravityY = new float[count];
        GravityZ = new float[count];
    }

    /// <summary>Start of the window (inclusive), ns since the Unix epoch.</summary>
    public long StartNs { get; }

    /// <summary>End of the window (exclusive).</summary>
    public long EndNs { get; }

    /// <summary>Samples a fully covered window holds.</summary>
    public int ExpectedSamples { get; }

    /// <summary>Samples this window holds.</summary>
    public int Count => X.Length;

    /// <summary>Sample timestamps.</summary>
    public long[] TimestampsNs { get; }

    /// <summary>Acceleration in g.</summary>
    public float[] X { get; }

    /// <summary>Acceleration in g.</summary>
    public float[] Y { get; }

    /// <summary>Acceleration in g.</summary>
    public float[] Z { get; }

    /// <summary>Gravity component in g.</summary>
    public float[] GravityX { get; }

    /// <summary>Gravity component in g.</summary>
    public float[] GravityY { get; }

    /// <summary>Gravity component in g.</summary>
    public float[] GravityZ { get; }

    /// <summary>Whether a gap (lost samples, disconnect, clock reset) falls inside the window.</summary>
    public bool StraddlesGap { get; internal set; }

    /// <summary>Share of the expected samples present, 0–1.</summary>
    public double Coverage => (double)Count / ExpectedSamples;

    /// <summary>Fully covered and free of gaps: fit for classification.</summary>
    public bool IsComplete => Count == ExpectedSamples && !StraddlesGap;
}

/// <summary>
/// Cuts a stream of analysis-rate samples into overlapping windows whose starts are multiples of
/// the hop since the Unix epoch. Block-invariant; <see cref="Complete"/> emits the windows still
/// open at the end of a stream.
/// </summary>
public sealed class WindowAssembler
{
    private readonly long _lengthNs;
    private readonly long _hopNs;
    private readonly int _expected;
    private readonly List<long> _t = [];
    private readonly List<float> _x = [], _y = [], _z = [], _gx = [], _gy = [], _gz = [];
    private readonly List<SignalGap> _gaps = [];
    private int _first;
    private long _nextStartNs = long.MinValue;

    /// <summary>Creates an assembler for samples every <paramref name="samplePeriodNs"/>.</summary>
    public WindowAssembler(WindowOptions options, long samplePeriodNs)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(samplePeriodNs, 0);
        _lengthNs = options.Length.Ticks * 100;
        _hopNs = options.Hop.Ticks * 100;
        _expected = (int)(_lengthNs / samplePeriodNs);
    }

    /// <summary>Records a gap; windows that overlap it are marked.</summary>
    public void AddGap(SignalGap gap) => _gaps.Add(gap);

    /// <summary>Adds one sample with its gravity estimate; windows that it closes go to <paramref name="completed"/>.</summary>
    public void Add(long t, float x, float y, float z, float gx, float gy, float gz, ICollection<AccelerationWindow> completed)
    {
        ArgumentNullException.ThrowIfNull(completed);
        if (_nextStartNs == long.MinValue)
        {
            _nextStartNs = FirstWindowContaining(t);
        }

        while (_nextStartNs + _lengthNs <= t)
        {
            EmitNext(completed);
            if (_first == _t.Count)
            {
                // Nothing buffered: jump over the empty stretch instead of emitting empty windows.
                _nextStartNs = Math.Max(_nextStartNs, FirstWindowContaining(t));
            }
        }

        _t.Add(t);
        _x.Add(x);
        _y.Add(y);
        _z.Add(z);
        _gx.Add(gx);
        _gy.Add(gy);
        _gz.Add(gz);
    }

    /// <summary>Emits every window that holds buffered samples, as at the end of a stream.</summary>
    public void Complete(ICollection<AccelerationWindow> completed)
    {
        ArgumentNullException.ThrowIfNull(completed);
        while (_first < _t.Count)
        {
            EmitNext(completed);
        }

        Compact(force: true);
        _nextStartNs = long.MinValue;
        _gaps.Clear();
    }

    private long FirstWindowContaining(long t) => FloorDiv(t - _lengthNs, _hopNs) * _hopNs + _hopNs;

    private void EmitNext(ICollection<AccelerationWindow> completed)
    {
        var start = _nextStartNs;
        var end = start + _lengthNs;
        var first = _first;
        while (first < _t.Count && _t[first] < start)
        {
            first++;
        }

        var last = first;
        while (last < _t.Count && _t[last] < end)
        {
            last++;
        }

        if (last > first)
        {
            var window = new AccelerationWindow(start, end, _expected, last - first);
            for (var i = first; i < last; i++)
            {
                var j = i - first;
                window.TimestampsNs[j] = _t[i];
                window.X[j] = _x[i];
                window.Y[j] = _y[i];
                window.Z[j] = _z[i];
                window.GravityX[j] = _gx[i];
                window.GravityY[j] = _gy[i];
                window.GravityZ[j] = _gz[i];
            }

            foreach (var gap in _gaps)
            {
                if (gap.StartNs < end && gap.EndNs > start)
                {
                    window.StraddlesGap = true;
                }
            }

            completed.Add(window);
        }

        _nextStartNs += _hopNs;
        while (_first < _t.Count && _t[_first] < _nextStartNs)
        {
            _first++;
        }

        Compact(force: false);
        _gaps.RemoveAll(g => g.EndNs <= _nextStartNs);
    }

    // Samples before _first are no longer needed; moving the rest down once in a while keeps the
    // cost per sample constant instead of shifting every list at every window.
    private void Compact(bool force)
    {
        if (_first == 0 || (!force && _first < 4096 && _first < _t.Count / 2))
        {
            return;
        }

        _t.RemoveRange(0, _first);
        _x.RemoveRange(0, _first);
        _y.RemoveRange(0, _first);
        _z.RemoveRange(0, _first);
        _gx.RemoveRange(0, _first);
        _gy.RemoveRange(0, _first);
        _gz.RemoveRange(0, _first);
        _first = 0;
    }

    private static long FloorDiv(long a, long b)
    {
        var q = a / b;
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
    }
}
