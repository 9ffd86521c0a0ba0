using NWaves.Filters.Base;
using NWaves.Filters.Fda;

namespace AdherencePipeline.Signal;

/// <summary>
/// A causal IIR filter run as a cascade of second-order sections in double precision
/// (transposed direct form II). Designs come from NWaves; running them here keeps low cut-offs
/// (0.5 Hz at 25 Hz) numerically stable and lets the state start at a steady value, so a stream
/// that begins at 1 g does not ring as if it had jumped from 0.
/// </summary>
/// <remarks>
/// Output depends only on the input sequence, never on how it was split into blocks: the same
/// samples give the same result whether processed one at a time or as one array.
/// </remarks>
public sealed class BiquadCascade
{
    private readonly double[] _b0, _b1, _b2, _a1, _a2;
    private readonly double[] _z1, _z2;

    private BiquadCascade(TransferFunction[] sections)
    {
        var n = sections.Length;
        _b0 = new double[n];
        _b1 = new double[n];
        _b2 = new double[n];
        _a1 = new double[n];
        _a2 = new double[n];
        _z1 = new double[n];
        _z2 = new double[n];
        for (var i = 0; i < n; i++)
        {
            var b = sections[i].Numerator;
            var a = sections[i].Denominator;
            var a0 = a[0];
            _b0[i] = b[0] / a0;
            _b1[i] = (b.Length > 1 ? b[1] : 0) / a0;
            _b2[i] = (b.Length > 2 ? b[2] : 0) / a0;
            _a1[i] = (a.Length > 1 ? a[1] : 0) / a0;
            _a2[i] = (a.Length > 2 ? a[2] : 0) / a0;
        }
    }

    /// <summary>A Butterworth low-pass of even <paramref name="order"/> with cut-off <paramref name="cutoffHz"/> at <paramref name="sampleRateHz"/>.</summary>
    public static BiquadCascade ButterworthLowPass(double cutoffHz, double sampleRateHz, int order = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(cutoffHz, 0);
        if (cutoffHz >= sampleRateHz / 2)
        {
            throw new ArgumentOutOfRangeException(nameof(cutoffHz), cutoffHz, $"The cut-off must lie below the Nyquist frequency ({sampleRateHz / 2} Hz).");
        }

        if (order < 2 || order % 2 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(order), order, "The order must be even and at least 2.");
        }

        var tf = new NWaves.Filters.Butterworth.LowPassFilter(cutoffHz / sampleRateHz, order).Tf;
        return new BiquadCascade(DesignFilter.TfToSos(tf));
    }

    /// <summary>Sets the state as if the input had been <paramref name="value"/> forever.</summary>
    public void ResetTo(double value)
    {
        var x = value;
        for (var i = 0; i < _z1.Length; i++)
        {
            // Steady state of one section for constant input x: y = x·gain.
            var gain = (_b0[i] + _b1[i] + _b2[i]) / (1 + _a1[i] + _a2[i]);
            var y = x * gain;
            _z2[i] = _b2[i] * x - _a2[i] * y;
            _z1[i] = _b1[i] * x - _a1[i] * y + _z2[i];
            x = y;
        }
    }

    /// <summary>Filters one sample.</summary>
    public double Process(double x)
    {
        for (var i = 0; i < _z1.Length; i++)
        {
            var y = _b0[i] * x + _z1[i];
            _z1[i] = _b1[i] * x - _a1[i] * y + _z2[i];
            _z2[i] = _b2[i] * x - _a2[i] * y;
            x = y;
        }

        return x;
    }

    /// <summary>Filters a block in place.</summary>
    public void Process(Span<float> samples)
    {
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = (float)Process(samples[i]);
        }
    }
}
