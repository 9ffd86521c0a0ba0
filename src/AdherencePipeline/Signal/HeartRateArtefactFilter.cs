namespace AdherencePipeline.Signal;

/// <summary>Why a heart-rate value was set aside.</summary>
public enum HeartRateRejection
{
    /// <summary>Kept.</summary>
    None,

    /// <summary>Outside the physiological range.</summary>
    OutOfRange,

    /// <summary>Too far from the recent values to be a real change (a spike or a contact artefact).</summary>
    Jump,
}

/// <summary>Limits of the heart-rate artefact rules. Defaults are documented with their reasons.</summary>
public sealed record HeartRateArtefactOptions
{
    /// <summary>Lowest credible heart rate (bpm). 30: below it, adults are in a clinical emergency, and straps with poor contact report 30–40.</summary>
    public double MinBpm { get; init; } = 30;

    /// <summary>Highest credible heart rate (bpm). 220: above any adult's maximum.</summary>
    public double MaxBpm { get; init; } = 220;

    /// <summary>Largest credible departure from the median of the recent accepted values (bpm).</summary>
    public double MaxJumpBpm { get; init; } = 30;

    /// <summary>Shortest credible RR interval (ms), 220 bpm.</summary>
    public double MinRrMs { get; init; } = 273;

    /// <summary>Longest credible RR interval (ms), 30 bpm.</summary>
    public double MaxRrMs { get; init; } = 2000;

    /// <summary>Largest relative departure of an RR interval from the median of the recent accepted ones (the common 20 % rule).</summary>
    public double MaxRrDeviation { get; init; } = 0.20;

    /// <summary>How many recent accepted values form the reference median.</summary>
    public int History { get; init; } = 5;

    /// <summary>
    /// Rejected values in a row that agree with each other (within <see cref="MaxJumpBpm"/>) and are
    /// then accepted as a real change of level, so a true rise after a pause is not refused forever.
    /// </summary>
    public int ConsistentToAccept { get; init; } = 3;
}

/// <summary>
/// Physiological range and outlier rules for heart rate and RR intervals, one value at a time.
/// Rejected values are reported with a reason, never changed.
/// </summary>
public sealed class HeartRateArtefactFilter
{
    private readonly HeartRateArtefactOptions _options;
    private readonly Reference _bpm;
    private readonly Reference _rr;

    /// <summary>Creates a filter with the given limits (defaults if null).</summary>
    public HeartRateArtefactFilter(HeartRateArtefactOptions? options = null)
    {
        _options = options ?? new HeartRateArtefactOptions();
        _bpm = new Reference(_options.History);
        _rr = new Reference(_options.History);
    }

    /// <summary>Judges one heart-rate value.</summary>
    public HeartRateRejection CheckHeartRate(double bpm)
    {
        if (!double.IsFinite(bpm) || bpm < _options.MinBpm || bpm > _options.MaxBpm)
        {
            return HeartRateRejection.OutOfRange;
        }

        return _bpm.Judge(bpm, Math.Abs(bpm - _bpm.Median) <= _options.MaxJumpBpm, _options.MaxJumpBpm, _options.ConsistentToAccept);
    }

    /// <summary>Judges one RR interval.</summary>
    public HeartRateRejection CheckRrInterval(double rrMs)
    {
        if (!double.IsFinite(rrMs) || rrMs < _options.MinRrMs || rrMs > _options.MaxRrMs)
        {
            return HeartRateRejection.OutOfRange;
        }

        var median = _rr.Median;
        return _rr.Judge(rrMs, Math.Abs(rrMs - median) <= _options.MaxRrDeviation * median, _options.MaxRrDeviation * rrMs, _options.ConsistentToAccept);
    }

    /// <summary>Forgets the history (after a gap or a new session).</summary>
    public void Reset()
    {
        _bpm.Clear();
        _rr.Clear();
    }

    private sealed class Reference(int size)
    {
        private readonly Queue<double> _accepted = new();
        private readonly List<double> _rejected = [];

        public double Median
        {
            get
            {
                if (_accepted.Count == 0)
                {
                    return double.NaN;
                }

                Span<double> values = stackalloc double[_accepted.Count];
                var i = 0;
                foreach (var v in _accepted)
                {
                    values[i++] = v;
                }

                values.Sort();
                var n = values.Length;
                return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
            }
        }

        public HeartRateRejection Judge(double value, bool closeToMedian, double agreement, int consistentToAccept)
        {
            if (_accepted.Count == 0 || closeToMedian)
            {
                Accept(value);
                _rejected.Clear();
                return HeartRateRejection.None;
            }

            if (_rejected.Count > 0 && Math.Abs(value - _rejected[^1]) > agreement)
            {
                _rejected.Clear();
            }

            _rejected.Add(value);
            if (_rejected.Count >= consistentToAccept)
            {
                // Several values in a row agree with each other: the level really changed.
                _accepted.Clear();
                foreach (var v in _rejected)
                {
                    Accept(v);
                }

                _rejected.Clear();
                return HeartRateRejection.None;
            }

            return HeartRateRejection.Jump;
        }

        public void Clear()
        {
            _accepted.Clear();
            _rejected.Clear();
        }

        private void Accept(double value)
        {
            _accepted.Enqueue(value);
            if (_accepted.Count > size)
            {
                _accepted.Dequeue();
            }
        }
    }
}
