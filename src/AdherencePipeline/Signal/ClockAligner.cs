namespace AdherencePipeline.Signal;

/// <summary>
/// Maps a sensor's clock to the host's wall clock from (sensor time, receive time) pairs, one per
/// frame. A frame arrives some latency after its sensor timestamp, never before, so the lower edge of
/// receive − sensor is the clock offset; a straight line through the per-bucket minima estimates
/// offset and drift together. Polar straps drift by seconds a day and reset their clock when powered
/// down, so the estimate keeps adapting and starts over when the sensor clock jumps.
/// </summary>
public sealed class ClockAligner
{
    private readonly long _bucketNs;
    private readonly int _maxBuckets;
    private readonly long _resetThresholdNs;
    private readonly List<(long SensorNs, long DifferenceNs)> _minima = [];
    private long _bucketStartNs = long.MinValue;
    private long _bucketSensorNs;
    private long _bucketMinNs = long.MaxValue;
    private long _lastSensorNs = long.MinValue;
    private long _lastDifferenceNs;
    private double _slope;
    private double _intercept;
    private long _referenceNs;

    /// <summary>Creates an aligner; minima are taken per <paramref name="bucket"/>, and the last <paramref name="buckets"/> of them are fitted.</summary>
    public ClockAligner(TimeSpan? bucket = null, int buckets = 20, TimeSpan? resetThreshold = null)
    {
        _bucketNs = (bucket ?? TimeSpan.FromSeconds(30)).Ticks * 100;
        _maxBuckets = buckets;
        _resetThresholdNs = (resetThreshold ?? TimeSpan.FromSeconds(5)).Ticks * 100;
    }

    /// <summary>Whether at least one observation has been made since the last reset.</summary>
    public bool IsCalibrated => _lastSensorNs != long.MinValue;

    /// <summary>Estimated drift of the sensor clock against the host, in parts per million (positive: the sensor runs slow).</summary>
    public double DriftPpm => _slope * 1e6;

    /// <summary>Times the sensor clock jumped and the estimate started over.</summary>
    public int Resets { get; private set; }

    /// <summary>Adds one frame's sensor timestamp and the host time it was received. Returns true when the sensor clock jumped and the estimate restarted.</summary>
    public bool Observe(long sensorNs, long receiveNs)
    {
        var difference = receiveNs - sensorNs;
        var reset = false;
        if (_lastSensorNs != long.MinValue && (sensorNs < _lastSensorNs || Math.Abs(difference - _lastDifferenceNs) > _resetThresholdNs && Math.Abs(difference - Predict(sensorNs)) > _resetThresholdNs))
        {
            _minima.Clear();
            _bucketStartNs = long.MinValue;
            Resets++;
            reset = true;
        }

        _lastSensorNs = sensorNs;
        _lastDifferenceNs = difference;
        if (_bucketStartNs == long.MinValue || receiveNs - _bucketStartNs >= _bucketNs)
        {
            if (_bucketStartNs != long.MinValue)
            {
                _minima.Add((_bucketSensorNs, _bucketMinNs));
                if (_minima.Count > _maxBuckets)
                {
                    _minima.RemoveAt(0);
                }
            }

            _bucketStartNs = receiveNs;
            _bucketMinNs = long.MaxValue;
        }

        if (difference < _bucketMinNs)
        {
            _bucketMinNs = difference;
            _bucketSensorNs = sensorNs;
        }

        Fit();
        return reset;
    }

    /// <summary>The wall-clock time (ns since the Unix epoch) of a sensor timestamp.</summary>
    public long ToWallClock(long sensorNs)
    {
        if (!IsCalibrated)
        {
            throw new InvalidOperationException("The clock aligner needs at least one observation.");
        }

        return sensorNs + Predict(sensorNs);
    }

    private long Predict(long sensorNs) => (long)Math.Round(_intercept + _slope * (sensorNs - _referenceNs));

    private void Fit()
    {
        // The running bucket's minimum is still falling, so only completed buckets set the slope;
        // then the line is lowered onto the lowest minimum of all, since every minimum is at least
        // the true offset (a frame is never received before it was stamped).
        _referenceNs = _bucketSensorNs;
        if (_minima.Count < 2)
        {
            _slope = 0;
            var lowest = _bucketMinNs;
            foreach (var (_, d) in _minima)
            {
                lowest = Math.Min(lowest, d);
            }

            _intercept = lowest;
            return;
        }

        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        foreach (var (sensor, d) in _minima)
        {
            var x = (double)(sensor - _referenceNs);
            sx += x;
            sy += d;
            sxx += x * x;
            sxy += x * d;
        }

        var n = _minima.Count;
        var denominator = n * sxx - sx * sx;
        _slope = Math.Abs(denominator) < 1e-6 ? 0 : (n * sxy - sx * sy) / denominator;
        _intercept = (sy - _slope * sx) / n;
        var shift = _bucketMinNs - _intercept;
        foreach (var (sensor, d) in _minima)
        {
            shift = Math.Min(shift, d - (_intercept + _slope * (sensor - _referenceNs)));
        }

        _intercept += shift;
    }
}
