using System.Text;
using System.Threading.Channels;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Tests.Storage;

/// <summary>
/// An in-memory write endpoint for the writer's own logic (batching, splitting, retries). It answers
/// as InfluxDB 1.x does: a batch with a malformed line gets 400 and the good lines of it are stored.
/// </summary>
internal sealed class RecordingEndpoint : IInfluxWriteEndpoint
{
    private readonly Func<int, string[], WriteOutcome?>? _script;
    private readonly Channel<string[]> _requests = Channel.CreateUnbounded<string[]>();
    private readonly object _gate = new();
    private int _calls;

    /// <param name="script">Given the call number and the request's lines, an outcome to force, or null to behave normally.</param>
    public RecordingEndpoint(Func<int, string[], WriteOutcome?>? script = null) => _script = script;

    public string Description => "recording endpoint";

    /// <summary>Lines stored, keyed by line text (so a resend overwrites, as series + timestamp do).</summary>
    public HashSet<string> Stored { get; } = [];

    /// <summary>Every request that arrived, in order.</summary>
    public List<string[]> Requests { get; } = [];

    public ChannelReader<string[]> RequestsAsTheyArrive => _requests.Reader;

    public Task<WriteOutcome> WriteAsync(ReadOnlyMemory<byte> lines, CancellationToken cancellationToken)
    {
        var text = Encoding.UTF8.GetString(lines.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        int call;
        lock (_gate)
        {
            call = _calls++;
            Requests.Add(text);
        }

        _requests.Writer.TryWrite(text);
        if (_script?.Invoke(call, text) is { } forced)
        {
            return Task.FromResult(forced);
        }

        var bad = text.Where(l => l.Contains("BAD", StringComparison.Ordinal)).ToArray();
        lock (_gate)
        {
            foreach (var line in text.Except(bad))
            {
                Stored.Add(line);
            }
        }

        return Task.FromResult(bad.Length == 0
            ? WriteOutcome.Accepted
            : new WriteOutcome(WriteOutcomeKind.Rejected, 400, $"partial write: unable to parse '{bad[0]}': invalid field format dropped=0"));
    }
}
