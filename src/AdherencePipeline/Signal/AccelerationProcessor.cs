namespace AdherencePipeline.Signal;

/// <summary>Settings of the acceleration path. Defaults follow the classifier's training data (25 Hz).</summary>
public sealed record SignalOptions
{
    /// <summary>The analysis rate. 25 Hz because the classifier's training recordings are 25 Hz.</summary>
    public double AnalysisRateHz { get; init; } = 25;

    /// <summary>
    /// Longest step between two samples that is still interpolated. Longer steps are gaps. The
    /// default, 0.25 s, is a dozen samples at 50 Hz: one lost Polar frame already counts as a gap.
    /// </summary>
    public TimeSpan MaxInterpolationGap { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Window length and overlap.</summary>
    public WindowOptions Windows { get; init; } = new();
}

/// <summary>
/// The acceleration path of one device, as plain code: resample to the analysis rate, separate
/// gravity, cut windows. Training, evaluation and the live pipeline all run this class, so a window
/// is the same whichever of them made it.
/// </summary>
public sealed class AccelerationProcessor
{
    private readonly AccelerationResampler _resampler;
    private readonly GravitySeparator _gravity;
    private readonly WindowAssembler _windows;
    private readonly AccelerationBuffer _grid = new();
    private readonly List<SignalGap> _gaps = [];

    /// <summary>Creates the path for a device sampling at <paramref name="inputRateHz"/>.</summary>
    public AccelerationProcessor(double inputRateHz, SignalOptions? options = null)
    {
        options ??= new SignalOptions();
        _resampler = new AccelerationResampler(inputRateHz, options.AnalysisRateHz, options.MaxInterpolationGap);
        _gravity = new GravitySeparator(options.AnalysisRateHz);
        _windows = new WindowAssembler(options.Windows, _resampler.PeriodNs);
    }

    /// <summary>The analysis-rate samples of the last <see cref="Process"/> call (for per-second summaries).</summary>
    public AccelerationBuffer LastResampled => _grid;

    /// <summary>
    /// Runs one block of device samples (timestamps in ns, acceleration in g). Windows that close
    /// go to <paramref name="windows"/>, gaps found go to <paramref name="gaps"/>.
    /// </summary>
    public void Process(ReadOnlySpan<long> timestampsNs, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> z, ICollection<AccelerationWindow> windows, ICollection<SignalGap> gaps)
    {
        ArgumentNullException.ThrowIfNull(windows);
        ArgumentNullException.ThrowIfNull(gaps);
        _grid.Clear();
        _gaps.Clear();
        _resampler.Process(timestampsNs, x, y, z, _grid, _gaps);
        var nextGap = 0;
        var t = _grid.TimestampsNs;
        for (var i = 0; i < _grid.Count; i++)
        {
            // A gap is known before the first sample after it, so windows around it are marked.
            while (nextGap < _gaps.Count && _gaps[nextGap].EndNs <= t[i])
            {
                AddGap(_gaps[nextGap++], gaps);
            }

            var (gx, gy, gz) = _gravity.Next(_grid.X[i], _grid.Y[i], _grid.Z[i]);
            _windows.Add(t[i], _grid.X[i], _grid.Y[i], _grid.Z[i], gx, gy, gz, windows);
        }

        while (nextGap < _gaps.Count)
        {
            AddGap(_gaps[nextGap++], gaps);
        }
    }

    /// <summary>Records a gap the transport knows of (a disconnect); the stream restarts with the next sample.</summary>
    public void Disconnected(long lastSampleNs, long reconnectedNs, ICollection<SignalGap> gaps)
    {
        ArgumentNullException.ThrowIfNull(gaps);
        _resampler.Reset();
        AddGap(new SignalGap(lastSampleNs, reconnectedNs, GapReason.Disconnected), gaps);
    }

    /// <summary>Emits the windows still open, as at the end of a recording.</summary>
    public void Complete(ICollection<AccelerationWindow> windows) => _windows.Complete(windows);

    private void AddGap(SignalGap gap, ICollection<SignalGap> gaps)
    {
        _gravity.Restart();
        _windows.AddGap(gap);
        gaps.Add(gap);
    }
}
