using AdherencePipeline.Sensors;
using Microsoft.Extensions.Logging;

namespace AdherencePipeline.Service.Monitoring;

/// <summary>
/// Logs decode faults at a bounded rate: the first fault of a kind from a device at once, then at most one
/// line per <see cref="Interval"/> for that device and kind, saying how many were suppressed in between.
/// A strap sending garbage 50 times a second thus costs one log line a minute, and a new kind of fault
/// is never hidden behind an old one. Faults are counted in full by the metrics either way.
/// </summary>
internal sealed partial class DecodeFaultLog
{
    /// <summary>The shortest time between two lines for the same device and fault kind.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Dictionary<(string Device, DecodeFaultKind Kind), Window> _windows = [];

    public DecodeFaultLog(ILogger<DecodeFaultLog> logger, TimeProvider time)
    {
        _logger = logger;
        _time = time;
    }

    /// <summary>A notification of <paramref name="deviceModel"/> at <paramref name="deviceAddress"/> could not be decoded.</summary>
    public void Fault(string deviceAddress, string deviceModel, DecodeFault fault)
    {
        var now = _time.GetUtcNow();
        int suppressed;
        lock (_windows)
        {
            var key = (deviceAddress, fault.Kind);
            if (_windows.TryGetValue(key, out var window) && now - window.LoggedAt < Interval)
            {
                window.Suppressed++;
                return;
            }

            suppressed = window?.Suppressed ?? 0;
            _windows[key] = new Window(now);
        }

        // The fault names a field and an offset of the payload, never a sample value.
        LogFault(_logger, Redact(deviceAddress), deviceModel, fault.Kind, fault.ToString(), suppressed, (int)Interval.TotalSeconds);
    }

    // The form the BlueZ transport's log uses: the last two octets tell a study's straps apart, no more.
    private static string Redact(string address) => address.Length == 17 ? "**:**:**:**:" + address[12..] : "**";

    [LoggerMessage(EventId = 7320, Level = LogLevel.Warning, Message = "Device {Device} ({Model}): a notification could not be decoded ({Kind}: {Fault}); {Suppressed} more of this kind were not logged in the last {IntervalSeconds} s")]
    private static partial void LogFault(ILogger logger, string device, string model, DecodeFaultKind kind, string fault, int suppressed, int intervalSeconds);

    private sealed class Window(DateTimeOffset loggedAt)
    {
        public DateTimeOffset LoggedAt { get; } = loggedAt;

        public int Suppressed { get; set; }
    }
}
