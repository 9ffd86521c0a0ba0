namespace AdherencePipeline.Signal;

/// <summary>Motion in one second: ENMO and how many analysis-rate samples it had.</summary>
/// <param name="SecondStartNs">Start of the second, ns since the Unix epoch (a multiple of 10⁹).</param>
/// <param name="EnmoMeanMg">Mean ENMO = max(0, |a| − 1 g), in mg.</param>
/// <param name="MagnitudeMeanG">Mean |a| in g.</param>
/// <param name="Samples">Samples in the second.</param>
/// <param name="ExpectedSamples">Samples a fully covered second holds.</param>
public readonly record struct MotionSecond(long SecondStartNs, double EnmoMeanMg, double MagnitudeMeanG, int Samples, int ExpectedSamples);

/// <summary>Heart rate in one second: the mean of the valid values, and what was set aside.</summary>
/// <param name="SecondStartNs">Start of the second.</param>
/// <param name="HeartRateBpm">Mean of the valid values, NaN if none.</param>
/// <param name="Valid">Valid values in the second.</param>
/// <param name="Rejected">Values rejected as artefacts.</param>
/// <param name="RrIntervals">Valid RR intervals that ended in the second.</param>
/// <param name="RrMeanMs">Mean valid RR interval, NaN if none.</param>
public readonly record struct HeartRateSecond(long SecondStartNs, double HeartRateBpm, int Valid, int Rejected, int RrIntervals, double RrMeanMs);

/// <summary>Folds analysis-rate acceleration into per-second motion summaries. Block-invariant.</summary>
public sealed class MotionSummarizer
{
    private const long Second = 1_000_000_000L;
    private readonly int _expected;
    private long _current = long.MinValue;
    private double _enmo, _magnitude;
    private int _count;

    /// <summary>Creates a summarizer for samples at <paramref name="sampleRateHz"/>.</summary>
    public MotionSummarizer(double sampleRateHz) => _expected = (int)Math.Round(sampleRateHz);

    /// <summary>Adds samples; seconds that they close go to <paramref name="completed"/>.</summary>
    public void Add(ReadOnlySpan<long> timestampsNs, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> z, ICollection<MotionSecond> completed)
    {
        ArgumentNullException.ThrowIfNull(completed);
        for (var i = 0; i < timestampsNs.Length; i++)
        {
            var second = timestampsNs[i] - Mod(timestampsNs[i], Second);
            if (second != _current)
            {
                Complete(completed);
                _current = second;
            }

            var magnitude = Math.Sqrt((double)x[i] * x[i] + (double)y[i] * y[i] + (double)z[i] * z[i]);
            _magnitude += magnitude;
            _enmo += Math.Max(0, magnitude - 1) * 1000;
            _count++;
        }
    }

    /// <summary>Emits the open second, as at the end of a stream.</summary>
    public void Complete(ICollection<MotionSecond> completed)
    {
        ArgumentNullException.ThrowIfNull(completed);
        if (_count > 0)
        {
            completed.Add(new MotionSecond(_current, _enmo / _count, _magnitude / _count, _count, _expected));
        }

        _enmo = _magnitude = 0;
        _count = 0;
    }

    internal static long Mod(long a, long b)
    {
        var r = a % b;
        return r < 0 ? r + b : r;
    }
}

/// <summary>Judges heart-rate values and RR intervals with the artefact rules and folds them into seconds.</summary>
public sealed class HeartRateSummarizer
{
    private const long Second = 1_000_000_000L;
    private readonly HeartRateArtefactFilter _filter;
    private long _current = long.MinValue;
    private double _bpm, _rr;
    private int _valid, _rejected, _rrCount;

    /// <summary>Creates a summarizer with the given artefact rules.</summary>
    public HeartRateSummarizer(HeartRateArtefactOptions? options = null) => _filter = new HeartRateArtefactFilter(options);

    /// <summary>
    /// Adds one heart-rate value with the RR intervals it carried. Returns whether the value is valid
    /// (it is then fit for windows and intensity); the second it closes goes to <paramref name="completed"/>.
    /// </summary>
    public bool Add(long timestampNs, double bpm, ReadOnlySpan<double> rrIntervalsMs, ICollection<HeartRateSecond> completed)
    {
        ArgumentNullException.ThrowIfNull(completed);
        var second = timestampNs - MotionSummarizer.Mod(timestampNs, Second);
        if (second != _current)
        {
            Complete(completed);
            _current = second;
        }

        foreach (var rr in rrIntervalsMs)
        {
            if (_filter.CheckRrInterval(rr) == HeartRateRejection.None)
            {
                _rr += rr;
                _rrCount++;
            }
        }

        if (_filter.CheckHeartRate(bpm) == HeartRateRejection.None)
        {
            _bpm += bpm;
            _valid++;
            return true;
        }

        _rejected++;
        return false;
    }

    /// <summary>Emits the open second, as at the end of a stream.</summary>
    public void Complete(ICollection<HeartRateSecond> completed)
    {
        ArgumentNullException.ThrowIfNull(completed);
        if (_valid + _rejected > 0)
        {
            completed.Add(new HeartRateSecond(_current, _valid > 0 ? _bpm / _valid : double.NaN, _valid, _rejected, _rrCount, _rrCount > 0 ? _rr / _rrCount : double.NaN));
        }

        _bpm = _rr = 0;
        _valid = _rejected = _rrCount = 0;
    }

    /// <summary>Forgets the artefact history (after a gap).</summary>
    public void Reset() => _filter.Reset();
}
