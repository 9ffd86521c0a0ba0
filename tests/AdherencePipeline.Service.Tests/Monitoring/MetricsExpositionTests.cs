using System.Diagnostics.Metrics;
using AdherencePipeline.Service.Monitoring;

namespace AdherencePipeline.Service.Tests.Monitoring;

public sealed class MetricsExpositionTests
{
    [Fact]
    public void Scrape_HistogramWithAdvisedBoundaries_WritesCumulativeBucketsSumAndCount()
    {
        using var meter = new Meter("AdherencePipeline.Tests." + Guid.NewGuid().ToString("N"));
        var histogram = meter.CreateHistogram<double>("adherence.influx.write_duration", "s", "Duration of one write request.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });
        using var exposition = new MetricsExposition(meter);

        // A value equal to a boundary belongs to that bucket (Prometheus buckets are "less than or equal").
        foreach (var seconds in new[] { 0.05, 0.1, 0.5, 2 })
        {
            histogram.Record(seconds, new KeyValuePair<string, object?>("outcome", "accepted"));
        }

        histogram.Record(0.2, new KeyValuePair<string, object?>("outcome", "retry"));

        Assert.Equal(
            """
            # HELP adherence_influx_write_duration_seconds Duration of one write request.
            # TYPE adherence_influx_write_duration_seconds histogram
            adherence_influx_write_duration_seconds_bucket{outcome="accepted",le="0.1"} 2
            adherence_influx_write_duration_seconds_bucket{outcome="accepted",le="1"} 3
            adherence_influx_write_duration_seconds_bucket{outcome="accepted",le="+Inf"} 4
            adherence_influx_write_duration_seconds_sum{outcome="accepted"} 2.65
            adherence_influx_write_duration_seconds_count{outcome="accepted"} 4
            adherence_influx_write_duration_seconds_bucket{outcome="retry",le="0.1"} 0
            adherence_influx_write_duration_seconds_bucket{outcome="retry",le="1"} 1
            adherence_influx_write_duration_seconds_bucket{outcome="retry",le="+Inf"} 1
            adherence_influx_write_duration_seconds_sum{outcome="retry"} 0.2
            adherence_influx_write_duration_seconds_count{outcome="retry"} 1

            """.ReplaceLineEndings("\n"),
            exposition.Scrape());
    }

    [Fact]
    public void Scrape_CounterWithTagsInEitherOrder_SumsPerTagSetAndSortsLabels()
    {
        using var meter = new Meter("AdherencePipeline.Tests." + Guid.NewGuid().ToString("N"));
        var faults = meter.CreateCounter<long>("adherence.decode_faults", "{frame}", "Notifications that could not be decoded.");
        using var exposition = new MetricsExposition(meter);

        faults.Add(1, new("model", "polar-h10"), new("kind", "truncated"));
        faults.Add(2, new("kind", "truncated"), new("model", "polar-h10"));
        faults.Add(1, new("model", "polar-h10"), new("kind", "bad_length"));

        Assert.Equal(
            """
            # HELP adherence_decode_faults_total Notifications that could not be decoded.
            # TYPE adherence_decode_faults_total counter
            adherence_decode_faults_total{kind="bad_length",model="polar-h10"} 1
            adherence_decode_faults_total{kind="truncated",model="polar-h10"} 3

            """.ReplaceLineEndings("\n"),
            exposition.Scrape());
    }

    [Fact]
    public void Scrape_AnotherMeterOfTheSameName_IsNotCounted()
    {
        var name = "AdherencePipeline.Tests." + Guid.NewGuid().ToString("N");
        using var ours = new Meter(name);
        using var theirs = new Meter(name);
        var frames = ours.CreateCounter<long>("adherence.frames");
        var otherFrames = theirs.CreateCounter<long>("adherence.frames");
        using var exposition = new MetricsExposition(ours);

        frames.Add(5);
        otherFrames.Add(100);

        Assert.Equal("# TYPE adherence_frames_total counter\nadherence_frames_total 5\n", exposition.Scrape());
    }

    [Fact]
    public void Scrape_ObservableGaugeStopsReportingATagSet_DropsThatSeries()
    {
        using var meter = new Meter("AdherencePipeline.Tests." + Guid.NewGuid().ToString("N"));
        var models = new List<string> { "polar-h10", "generic-hrs" };
        meter.CreateObservableGauge("adherence.devices.connected", () => models.Select(m => new Measurement<int>(1, new KeyValuePair<string, object?>("model", m))));
        using var exposition = new MetricsExposition(meter);

        var before = exposition.Scrape();
        models.Remove("generic-hrs");
        var after = exposition.Scrape();

        Assert.Contains("adherence_devices_connected{model=\"generic-hrs\"} 1\n", before, StringComparison.Ordinal);
        Assert.Equal("# TYPE adherence_devices_connected gauge\nadherence_devices_connected{model=\"polar-h10\"} 1\n", after);
    }

    [Fact]
    public void Scrape_ObservableCounter_ReportsTheTotalItObserves()
    {
        using var meter = new Meter("AdherencePipeline.Tests." + Guid.NewGuid().ToString("N"));
        long written = 10;
        meter.CreateObservableCounter("adherence.points.written", () => written, "{point}");
        using var exposition = new MetricsExposition(meter);

        exposition.Scrape();
        written = 25;

        Assert.Equal("# TYPE adherence_points_written_total counter\nadherence_points_written_total 25\n", exposition.Scrape());
    }
}
