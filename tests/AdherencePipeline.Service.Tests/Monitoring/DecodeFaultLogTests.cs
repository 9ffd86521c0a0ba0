using AdherencePipeline.Sensors;
using AdherencePipeline.Service.Monitoring;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace AdherencePipeline.Service.Tests.Monitoring;

public sealed class DecodeFaultLogTests
{
    private const string Strap = "A0:9E:1A:00:00:02";
    private static readonly DecodeFault Truncated = new(DecodeFaultKind.Truncated, "pmd-header", 0, 10, 3);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 4, 17, 0, 0, TimeSpan.Zero));
    private readonly LinesLogger _logger = new();

    [Fact]
    public void Fault_RepeatedWithinAMinute_LogsTheFirstThenOneLineWithTheSuppressedCount()
    {
        var log = new DecodeFaultLog(_logger, _time);

        log.Fault(Strap, "polar-h10", Truncated);
        for (var i = 0; i < 49; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            log.Fault(Strap, "polar-h10", Truncated);
        }

        var afterFirstMinute = _logger.Lines.Count;
        _time.Advance(TimeSpan.FromSeconds(11));
        log.Fault(Strap, "polar-h10", Truncated);

        Assert.Equal(1, afterFirstMinute);
        Assert.Equal(2, _logger.Lines.Count);
        Assert.Equal(
            "Device **:**:**:**:00:02 (polar-h10): a notification could not be decoded (Truncated: pmd-header truncated at offset 0: need 10 byte(s), have 3); 0 more of this kind were not logged in the last 60 s",
            _logger.Lines[0]);
        Assert.EndsWith("; 49 more of this kind were not logged in the last 60 s", _logger.Lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Fault_JustUnderAMinuteLater_IsStillSuppressed()
    {
        var log = new DecodeFaultLog(_logger, _time);

        log.Fault(Strap, "polar-h10", Truncated);
        _time.Advance(TimeSpan.FromSeconds(60) - TimeSpan.FromTicks(1));
        log.Fault(Strap, "polar-h10", Truncated);
        _time.Advance(TimeSpan.FromTicks(1));
        log.Fault(Strap, "polar-h10", Truncated);

        Assert.Equal(2, _logger.Lines.Count);
        Assert.EndsWith("; 1 more of this kind were not logged in the last 60 s", _logger.Lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Fault_OtherKindOrOtherDevice_IsLoggedAtOnce()
    {
        var log = new DecodeFaultLog(_logger, _time);

        log.Fault(Strap, "polar-h10", Truncated);
        log.Fault(Strap, "polar-h10", new DecodeFault(DecodeFaultKind.BadLength, "samples", 10, 6, 7));
        log.Fault("A0:9E:1A:00:00:03", "polar-h10", Truncated);
        log.Fault(Strap, "polar-h10", Truncated);

        Assert.Equal(3, _logger.Lines.Count);
        Assert.Contains("(BadLength: samples has a bad length", _logger.Lines[1], StringComparison.Ordinal);
        Assert.StartsWith("Device **:**:**:**:00:03 ", _logger.Lines[2], StringComparison.Ordinal);
    }

    /// <summary>Keeps every formatted line, in order.</summary>
    private sealed class LinesLogger : ILogger<DecodeFaultLog>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}
