using System.Text;
using AdherencePipeline.Storage;

namespace AdherencePipeline.Outcomes;

/// <summary>
/// Stores one completed questionnaire and returns once InfluxDB has answered, so the caller can say
/// whether it was stored. Shared by <c>adherence outcomes add</c> and the participant's web page.
/// </summary>
public static class OutcomeWriter
{
    /// <summary>Writes the record's <c>outcome</c> point through the v1 write API.</summary>
    public static Task<WriteOutcome> WriteAsync(HttpClient http, InfluxConnectionOptions connection, OutcomeRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new InfluxV1WriteEndpoint(http, connection).WriteAsync(Encoding.UTF8.GetBytes(record.ToPoint().ToString() + "\n"), cancellationToken);
    }
}
