using System.CommandLine;
using System.Globalization;
using AdherencePipeline.Storage;
using Microsoft.Extensions.Configuration;

namespace AdherencePipeline.Service.Commands;

/// <summary><c>adherence influx …</c>: talk to the configured InfluxDB.</summary>
internal static class InfluxCommand
{
    /// <summary>Exit codes of <c>influx check</c>, so scripts can tell the failures apart.</summary>
    public enum CheckExit
    {
        Ok = 0,
        BadConfiguration = 1,
        Unreachable = 2,
        Unauthorized = 3,
        DatabaseMissing = 4,
        ProbeFailed = 5,
    }

    public static Command Create()
    {
        var url = CommonOptions.InfluxUrl();
        var database = CommonOptions.InfluxDatabase();
        var create = CommonOptions.CreateDatabase();
        var check = new Command("check", "Connect, write and read back one probe point, and print the server version and round-trip times.")
        {
            url, database, create,
        };
        check.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            InfluxConnectionOptions options;
            try
            {
                options = CommonOptions.Connection(parseResult, CommonOptions.Build(parseResult), url, database, create);
            }
            catch (Exception ex) when (ex is ConfigurationException or ArgumentException or InvalidOperationException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return (int)CheckExit.BadConfiguration;
            }

            var result = await InfluxCheck.RunAsync(options, output, cancellationToken);
            if (result != CheckExit.Ok)
            {
                await error.WriteLineAsync($"influx check failed: {result}");
            }

            return (int)result;
        });

        return new Command("influx", "Check and use the InfluxDB connection.") { check };
    }

    /// <summary>Binds <c>Influx</c> from configuration; a value of the wrong type names its key.</summary>
    public static InfluxConnectionOptions BindConnection(IConfiguration configuration)
    {
        var options = new InfluxConnectionOptions();
        configuration.GetSection(InfluxConnectionOptions.SectionName).Bind(options);
        return options;
    }
}

/// <summary>The probe behind <c>adherence influx check</c>.</summary>
internal static class InfluxCheck
{
    /// <summary>The measurement the probe writes; documented in docs/schema.md.</summary>
    public const string ProbeMeasurement = "adherence_check";

    public static async Task<InfluxCommand.CheckExit> RunAsync(InfluxConnectionOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        using var http = InfluxHttpClient.Create(options);
        var query = new InfluxQueryClient(http, options);
        await output.WriteLineAsync($"InfluxDB at {options.Url}, database '{options.Database}'");
        string version;
        TimeSpan pingTime;
        try
        {
            (version, pingTime) = await query.PingAsync(cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            // A refused certificate counts as unreachable: the server was not reached as the one configured.
            await output.WriteLineAsync($"  unreachable: {InfluxHttpClient.Describe(ex)}");
            return InfluxCommand.CheckExit.Unreachable;
        }
        catch (InfluxQueryException ex) when (ex.StatusCode is 401 or 403)
        {
            await output.WriteLineAsync($"  authentication failed: {ex.ServerMessage}");
            return InfluxCommand.CheckExit.Unauthorized;
        }

        await output.WriteLineAsync($"  server version {version}, ping {pingTime.TotalMilliseconds:0.0} ms");

        var endpoint = new InfluxV1WriteEndpoint(http, options);
        if (options.CreateDatabase && !await endpoint.TryCreateDatabaseAsync(cancellationToken))
        {
            await output.WriteLineAsync("  could not create the database (the user may lack the right)");
        }

        var timestampNs = Point.ToTimestampNs(DateTimeOffset.UtcNow);
        var nonce = Guid.NewGuid().ToString("N");
        var probe = Point.For(ProbeMeasurement).Field("nonce", nonce).At(timestampNs);
        var started = TimeProvider.System.GetTimestamp();
        var outcome = await endpoint.WriteAsync(System.Text.Encoding.UTF8.GetBytes(probe + "\n"), cancellationToken);
        var writeTime = TimeProvider.System.GetElapsedTime(started);
        switch (outcome.Kind)
        {
            case WriteOutcomeKind.Accepted:
                break;
            case WriteOutcomeKind.Unauthorized:
                await output.WriteLineAsync($"  authentication failed (HTTP {outcome.StatusCode}): {outcome.Message}");
                return InfluxCommand.CheckExit.Unauthorized;
            case WriteOutcomeKind.DatabaseNotFound:
                await output.WriteLineAsync($"  {outcome.Message}; run with --create-database to create it");
                return InfluxCommand.CheckExit.DatabaseMissing;
            case WriteOutcomeKind.Retry when outcome.StatusCode is null:
                await output.WriteLineAsync($"  unreachable while writing: {outcome.Message}");
                return InfluxCommand.CheckExit.Unreachable;
            default:
                await output.WriteLineAsync($"  probe write failed (HTTP {outcome.StatusCode}): {outcome.Message}");
                return InfluxCommand.CheckExit.ProbeFailed;
        }

        started = TimeProvider.System.GetTimestamp();
        IReadOnlyList<InfluxSeries> series;
        try
        {
            series = await query.QueryAsync(
                string.Create(CultureInfo.InvariantCulture, $"SELECT \"nonce\" FROM {InfluxQL.Identifier(ProbeMeasurement)} WHERE time = {timestampNs}"),
                cancellationToken: cancellationToken);
        }
        catch (InfluxQueryException ex)
        {
            await output.WriteLineAsync($"  probe read-back failed: {ex.Message}");
            return ex.StatusCode is 401 or 403 ? InfluxCommand.CheckExit.Unauthorized : InfluxCommand.CheckExit.ProbeFailed;
        }

        var readTime = TimeProvider.System.GetElapsedTime(started);
        var readBack = series.SelectMany(s => s.Rows).Any(r => r.GetString("nonce") == nonce);
        if (!readBack)
        {
            await output.WriteLineAsync("  the probe point was written but could not be read back");
            return InfluxCommand.CheckExit.ProbeFailed;
        }

        await output.WriteLineAsync($"  probe written in {writeTime.TotalMilliseconds:0.0} ms and read back in {readTime.TotalMilliseconds:0.0} ms: OK");
        return await CheckRetentionPoliciesAsync(options, query, output, cancellationToken);
    }

    // A write to a retention policy that does not exist is refused and retried from the spool for ever;
    // better to find out here than from a growing spool.
    private static async Task<InfluxCommand.CheckExit> CheckRetentionPoliciesAsync(InfluxConnectionOptions options, InfluxQueryClient query, TextWriter output, CancellationToken cancellationToken)
    {
        if (options.RetentionPolicies.Count == 0)
        {
            return InfluxCommand.CheckExit.Ok;
        }

        IReadOnlyList<InfluxSeries> series;
        try
        {
            series = await query.QueryAsync("SHOW RETENTION POLICIES ON " + InfluxQL.Identifier(options.Database), cancellationToken: cancellationToken);
        }
        catch (InfluxQueryException ex)
        {
            await output.WriteLineAsync($"  the retention policies could not be listed: {ex.ServerMessage ?? ex.Message}");
            return InfluxCommand.CheckExit.ProbeFailed;
        }

        var existing = series.SelectMany(s => s.Rows).Select(r => r.GetString("name")).ToHashSet(StringComparer.Ordinal);
        var missing = options.RetentionPolicies.Where(p => !existing.Contains(p.Value)).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        foreach (var (measurement, policy) in missing)
        {
            await output.WriteLineAsync($"  Influx:RetentionPolicies:{measurement}: the retention policy '{policy}' does not exist in '{options.Database}'; create it (docs/operations.md)");
        }

        if (missing.Count > 0)
        {
            return InfluxCommand.CheckExit.ProbeFailed;
        }

        await output.WriteLineAsync($"  retention policies {string.Join(", ", options.RetentionPolicies.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))}: present");
        return InfluxCommand.CheckExit.Ok;
    }
}
