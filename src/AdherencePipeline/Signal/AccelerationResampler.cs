namespace AdherencePipeline.Signal;

/// <summary>
/// Brings acceleration from its device rate to the analysis rate: a 4th-order Butterworth low-pass
/// at 40 % of the analysis rate (anti-alias filter and noise low-pass in one), then linear
/// interpolation onto a grid of absolute times (multiples of the analysis period since the Unix
/// epoch), so that windows line up the same way whatever the device and wherever a block starts.
/// Nothing is interpolated across a gap longer than the limit: the gap is reported and the filters
/// restart from the first sample after it.
/// </summary>
/// <remarks>Block-invariant: the output depends on the samples, not on how they were split into blocks.</remarks>
public sealed class AccelerationResampler
{
    private readonly long _periodNs;
    private readonly BiquadCascade _fx, _fy, _fz;
    private readonly GapDetector _gaps;
    private long _nextGridNs;
    private long _prevNs;
    private double _prevX, _prevY, _prevZ;

    /// <summary>Creates a resampler from <paramref name="inputRateHz"/> to <paramref name="outputRateHz"/>.</summary>
    public AccelerationResampler(double inputRateHz, double outputRateHz, TimeSpan maxInterpolationGap)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputRateHz, outputRateHz * 0.5);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(outputRateHz, 0);
        _periodNs = (long)Math.Round(1e9 / outputRateHz);
        var cutoff = Math.Min(0.4 * outputRateHz, 0.45 * inputRateHz);
        _fx = BiquadCascade.ButterworthLowPass(cutoff, inputRateHz);
        _fy = BiquadCascade.ButterworthLowPass(cutoff, inputRateHz);
        _fz = BiquadCascade.ButterworthLowPass(cutoff, inputRateHz);
        _gaps = new GapDetector(maxInterpolationGap);
    }

    /// <summary>The analysis period in nanoseconds.</summary>
    public long PeriodNs => _periodNs;

    /// <summary>
    /// Resamples one block. Grid samples go to <paramref name="output"/>, gaps to <paramref name="gaps"/>;
    /// neither is cleared first.
    /// </summary>
    public void Process(ReadOnlySpan<long> timestampsNs, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> z, AccelerationBuffer output, ICollection<SignalGap> gaps)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(gaps);
        for (var i = 0; i < timestampsNs.Length; i++)
        {
            var t = timestampsNs[i];
            var wasRunning = _gaps.HasPrevious;
            var gap = _gaps.Next(t);
            if (!wasRunning || gap is not null)
            {
                if (gap is { } g)
                {
                    gaps.Add(g);
                }

                Restart(t, x[i], y[i], z[i], output);
                continue;
            }

            var fx = _fx.Process(x[i]);
            var fy = _fy.Process(y[i]);
            var fz = _fz.Process(z[i]);
            var step = (double)(t - _prevNs);
            while (_nextGridNs <= t)
            {
                var f = (_nextGridNs - _prevNs) / step;
                output.Add(_nextGridNs,
                    (float)(_prevX + (fx - _prevX) * f),
                    (float)(_prevY + (fy - _prevY) * f),
                    (float)(_prevZ + (fz - _prevZ) * f));
                _nextGridNs += _periodNs;
            }

            _prevNs = t;
            _prevX = fx;
            _prevY = fy;
            _prevZ = fz;
        }
    }

    /// <summary>Forgets the stream (after a disconnect): the next sample starts afresh.</summary>
    public void Reset() => _gaps.Reset();

    private void Restart(long t, float x, float y, float z, AccelerationBuffer output)
    {
        _fx.ResetTo(x);
        _fy.ResetTo(y);
        _fz.ResetTo(z);
        _prevNs = t;
        _prevX = x;
        _prevY = y;
        _prevZ = z;
        _nextGridNs = CeilToGrid(t);
        if (_nextGridNs == t)
        {
            output.Add(t, x, y, z);
            _nextGridNs += _periodNs;
        }
    }

    private long CeilToGrid(long t)
    {
        var r = t % _periodNs;
        if (r < 0)
        {
            r += _periodNs;
        }

        return r == 0 ? t : t - r + _periodNs;
    }
}
