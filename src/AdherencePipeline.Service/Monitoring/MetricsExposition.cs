using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace AdherencePipeline.Service.Monitoring;

/// <summary>
/// Collects the measurements of one <see cref="Meter"/> with a <see cref="MeterListener"/> and writes them
/// in the Prometheus text format for <c>/metrics</c>.
/// </summary>
/// <remarks>
/// Written by hand rather than with OpenTelemetry's Prometheus exporter: that exporter is still a beta
/// package, needs the OpenTelemetry SDK beside it, and this service has one meter with a few dozen series.
/// Only the given meter instance is listened to (not every meter of that name in the process), so two
/// hosts in one process — as in tests — never mix their counts. Recording a measurement looks its series
/// up by comparing tags, without allocating; a series is allocated once, the first time its tags are seen.
/// </remarks>
internal sealed class MetricsExposition : IDisposable
{
    /// <summary>Histogram boundaries when an instrument gives none (seconds-friendly, as Prometheus clients use).</summary>
    private static readonly double[] DefaultBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Meter _meter;
    private readonly MeterListener _listener;
    private readonly List<InstrumentState> _instruments = [];
    private readonly Lock _scrapeGate = new();

    /// <summary>Starts listening to the instruments of <paramref name="meter"/>, those made so far and later ones.</summary>
    public MetricsExposition(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        _meter = meter;
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, _meter))
                {
                    var state = new InstrumentState(instrument);
                    lock (_instruments)
                    {
                        _instruments.Add(state);
                    }

                    listener.EnableMeasurementEvents(instrument, state);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Everything measured so far, observable instruments read now, in the Prometheus text format; metrics sorted by name.</summary>
    public string Scrape()
    {
        lock (_scrapeGate)
        {
            InstrumentState[] instruments;
            lock (_instruments)
            {
                instruments = [.. _instruments];
            }

            foreach (var state in instruments)
            {
                state.BeginObservation();
            }

            _listener.RecordObservableInstruments();
            var text = new StringBuilder(4096);
            foreach (var state in instruments.OrderBy(s => s.Name, StringComparer.Ordinal))
            {
                state.WriteTo(text);
            }

            return text.ToString();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private enum Kind
    {
        Counter,
        CumulativeCounter,
        Gauge,
        SummedGauge,
        Histogram,
    }

    private sealed class InstrumentState
    {
        private readonly Instrument _instrument;
        private readonly Kind _kind;
        private readonly double[] _boundaries = [];
        private readonly List<Series> _series = [];

        public InstrumentState(Instrument instrument)
        {
            _instrument = instrument;
            _kind = instrument switch
            {
                Counter<long> or Counter<int> or Counter<double> => Kind.Counter,
                ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double> => Kind.CumulativeCounter,
                UpDownCounter<long> or UpDownCounter<int> or UpDownCounter<double> => Kind.SummedGauge,
                Histogram<long> or Histogram<int> or Histogram<double> => Kind.Histogram,
                _ => Kind.Gauge,
            };
            if (_kind == Kind.Histogram)
            {
                _boundaries = instrument switch
                {
                    Histogram<double> h => h.Advice?.HistogramBucketBoundaries?.ToArray(),
                    Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
                    Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
                    _ => null,
                } ?? DefaultBoundaries;
            }

            Name = PrometheusText.MetricName(instrument.Name, instrument.Unit, _kind is Kind.Counter or Kind.CumulativeCounter);
        }

        public string Name { get; }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            lock (_series)
            {
                var series = Find(tags);
                switch (_kind)
                {
                    case Kind.Counter or Kind.SummedGauge:
                        series.Value += value;
                        break;
                    case Kind.Histogram:
                        series.Value += value;
                        series.Count++;
                        var bucket = 0;
                        while (bucket < _boundaries.Length && value > _boundaries[bucket])
                        {
                            bucket++;
                        }

                        series.Buckets![bucket]++;
                        break;
                    default:
                        // Observable instruments report their current value (a total for counters).
                        series.Value = value;
                        break;
                }
            }
        }

        // Observable series are re-read at every scrape, so a tag set that is no longer reported (a
        // device model with no device left) disappears instead of repeating its last value.
        public void BeginObservation()
        {
            if (_instrument.IsObservable)
            {
                lock (_series)
                {
                    _series.Clear();
                }
            }
        }

        public void WriteTo(StringBuilder text)
        {
            lock (_series)
            {
                if (_series.Count == 0)
                {
                    return;
                }

                if (!string.IsNullOrEmpty(_instrument.Description))
                {
                    PrometheusText.AppendHelp(text, Name, _instrument.Description);
                }

                text.Append("# TYPE ").Append(Name).Append(' ').Append(_kind switch
                {
                    Kind.Counter or Kind.CumulativeCounter => "counter",
                    Kind.Histogram => "histogram",
                    _ => "gauge",
                }).Append('\n');
                foreach (var series in _series.OrderBy(s => s.Key, StringComparer.Ordinal))
                {
                    if (_kind != Kind.Histogram)
                    {
                        PrometheusText.AppendSample(text, Name, series.Labels, series.Value);
                        continue;
                    }

                    var labels = new List<KeyValuePair<string, string>>(series.Labels) { default };
                    long cumulative = 0;
                    for (var i = 0; i <= _boundaries.Length; i++)
                    {
                        cumulative += series.Buckets![i];
                        labels[^1] = new("le", i < _boundaries.Length ? PrometheusText.Number(_boundaries[i]) : "+Inf");
                        PrometheusText.AppendSample(text, Name + "_bucket", labels, cumulative);
                    }

                    PrometheusText.AppendSample(text, Name + "_sum", series.Labels, series.Value);
                    PrometheusText.AppendSample(text, Name + "_count", series.Labels, series.Count);
                }
            }
        }

        private Series Find(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var series in _series)
            {
                if (series.Matches(tags))
                {
                    return series;
                }
            }

            var created = new Series(tags, _kind == Kind.Histogram ? new long[_boundaries.Length + 1] : null);
            _series.Add(created);
            return created;
        }
    }

    private sealed class Series
    {
        private readonly KeyValuePair<string, object?>[] _tags;

        public Series(ReadOnlySpan<KeyValuePair<string, object?>> tags, long[]? buckets)
        {
            _tags = tags.ToArray();
            Buckets = buckets;
            Labels = [.. _tags
                .Select(t => new KeyValuePair<string, string>(PrometheusText.LabelName(t.Key), Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? ""))
                .OrderBy(l => l.Key, StringComparer.Ordinal)];
            Key = string.Join(",", Labels.Select(l => l.Key + "=" + l.Value));
        }

        public IReadOnlyList<KeyValuePair<string, string>> Labels { get; }

        public string Key { get; }

        public double Value { get; set; }

        public long Count { get; set; }

        public long[]? Buckets { get; }

        public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length != _tags.Length)
            {
                return false;
            }

            foreach (var tag in tags)
            {
                var found = false;
                foreach (var own in _tags)
                {
                    if (string.Equals(own.Key, tag.Key, StringComparison.Ordinal) && Equals(own.Value, tag.Value))
                    {
                        found = true;
                        break;
                    }
                }

                if (!found)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
