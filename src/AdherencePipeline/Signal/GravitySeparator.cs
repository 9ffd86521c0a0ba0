namespace AdherencePipeline.Signal;

/// <summary>
/// Splits acceleration into gravity (a 2nd-order Butterworth low-pass at 0.3 Hz, the usual
/// choice in activity recognition) and body acceleration (the rest). Block-invariant; call
/// <see cref="Restart"/> after a gap so the filter starts from the first sample instead of ringing.
/// </summary>
public sealed class GravitySeparator
{
    /// <summary>The cut-off frequency of the gravity filter.</summary>
    public const double CutoffHz = 0.3;

    private readonly BiquadCascade _gx, _gy, _gz;
    private bool _started;

    /// <summary>Creates a separator for a stream at <paramref name="sampleRateHz"/>.</summary>
    public GravitySeparator(double sampleRateHz)
    {
        _gx = BiquadCascade.ButterworthLowPass(CutoffHz, sampleRateHz, 2);
        _gy = BiquadCascade.ButterworthLowPass(CutoffHz, sampleRateHz, 2);
        _gz = BiquadCascade.ButterworthLowPass(CutoffHz, sampleRateHz, 2);
    }

    /// <summary>Makes the next sample start the filter afresh.</summary>
    public void Restart() => _started = false;

    /// <summary>Gravity of one sample, in g.</summary>
    public (float X, float Y, float Z) Next(float x, float y, float z)
    {
        if (!_started)
        {
            _gx.ResetTo(x);
            _gy.ResetTo(y);
            _gz.ResetTo(z);
            _started = true;
        }

        return ((float)_gx.Process(x), (float)_gy.Process(y), (float)_gz.Process(z));
    }
}
