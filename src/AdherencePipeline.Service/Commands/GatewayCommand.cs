using System.CommandLine;
using System.Globalization;
using System.Reactive.Linq;
using System.Threading.Channels;
using AdherencePipeline.BlueZ;
using AdherencePipeline.Nats;
using AdherencePipeline.Recordings;
using AdherencePipeline.Sensors;
using AdherencePipeline.Signal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AdherencePipeline.Service.Commands;

/// <summary>
/// <c>adherence gateway</c>: runs near the wearables and publishes every raw frame to NATS JetStream,
/// <c>adherence.frames.&lt;site&gt;.&lt;participant&gt;</c>, through the on-disk frame spool. Frames come
/// from the BLE devices the registry binds to the site's participants, or, for tests and demos, from
/// the virtual wearable replaying a recording.
/// </summary>
internal static class GatewayCommand
{
    public enum Exit
    {
        Ok = 0,
        BadInput = 1,
        NatsUnavailable = 2,
    }

    private static readonly TimeSpan FlushTimeout = TimeSpan.FromMinutes(2);

    public static Command Create()
    {
        var siteOption = new Option<string?>("--site") { Description = "The gateway's site, a subject token such as oslo (default: Nats:Publisher:Site)." };
        var urlOption = new Option<string?>("--nats-url") { Description = "NATS seed servers, comma-separated (default: Nats:Url, nats://127.0.0.1:4222)." };
        var provisionOption = new Option<bool>("--provision-stream") { Description = "Create or update the frame stream (Nats:Stream) first; needs the rights of an operator account." };
        var replayOption = new Option<string?>("--replay")
        {
            Description = "Instead of BLE, stream a recording through the virtual wearable (a project CSV or a file/subject of the shared data sets).",
        };
        var participantOption = new Option<string?>("--participant") { Description = "With --replay: the participant the frames belong to, e.g. P001." };
        var profileOption = new Option<string>("--profile") { Description = "With --replay: the device model the virtual wearable imitates.", DefaultValueFactory = _ => "polar-h10" };
        var segmentOption = new Option<int?>("--segment") { Description = "With --replay: which recording of a file that holds several, from 0." };
        var startOption = new Option<DateTimeOffset?>("--start")
        {
            Description = "With --replay: wall-clock time of the first sample, ISO 8601 (default: the recording's own start, else 2026-01-05T09:00:00Z).",
            CustomParser = CommonOptions.ParseTime,
        };
        var speedOption = new Option<string>("--speed") { Description = "With --replay: max (default), realtime, or a multiple of real time such as 10.", DefaultValueFactory = _ => "max" };
        var registryOption = ParticipantRegistryFile.Option();
        var directoryOption = SensorProfiles.DirectoryOption();
        var command = new Command("gateway", "Publish every raw wearable frame of this site to NATS JetStream (BLE, or --replay for the virtual wearable), spooling while NATS is away.")
        {
            siteOption, urlOption, provisionOption, replayOption, participantOption, profileOption, segmentOption, startOption, speedOption, registryOption, directoryOption,
        };

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            GatewaySettings settings;
            try
            {
                var configuration = CommonOptions.Build(parseResult);
                var nats = configuration.GetSection(NatsClientOptions.SectionName).Get<NatsClientOptions>() ?? new NatsClientOptions();
                var publisher = configuration.GetSection(FramePublisherOptions.SectionName).Get<FramePublisherOptions>() ?? new FramePublisherOptions();
                var stream = configuration.GetSection("Nats:Stream").Get<FrameStreamOptions>() ?? new FrameStreamOptions();
                nats.Url = NatsUrlWithoutSecret(parseResult.GetValue(urlOption)) ?? nats.Url;
                publisher.Site = parseResult.GetValue(siteOption) ?? publisher.Site;
                nats.Validate();
                publisher.Validate();
                stream.Validate();
                var directory = SensorProfiles.ResolveDirectory(parseResult, directoryOption);
                ReplaySource? replay = null;
                if (parseResult.GetValue(replayOption) is { } recording)
                {
                    var participant = parseResult.GetValue(participantOption) ?? throw new ArgumentException("--replay needs --participant.");
                    replay = new ReplaySource(
                        recording,
                        ReplayCommand.Participant(participant),
                        ReplayCommand.LoadProfile(directory, parseResult.GetValue(profileOption)!),
                        parseResult.GetValue(segmentOption),
                        parseResult.GetValue(startOption),
                        ReplayCommand.ParseSpeed(parseResult.GetValue(speedOption)!));
                }

                settings = new GatewaySettings(nats, publisher, stream, parseResult.GetValue(provisionOption), replay,
                    replay is null ? ParticipantRegistryFile.Resolve(parseResult, registryOption) : null, directory, configuration);
            }
            catch (Exception ex) when (ex is ConfigurationException or ArgumentException or InvalidOperationException or FormatException or ProfileValidationException or IOException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return (int)Exit.BadInput;
            }

            return (int)await RunAsync(settings, parseResult.InvocationConfiguration.Output, error, cancellationToken);
        });
        return command;
    }

    // A user and password in nats://user:pass@host would be visible to every user through ps and stay in
    // the shell history; on the command line only the servers are accepted.
    private static string? NatsUrlWithoutSecret(string? urls)
    {
        foreach (var part in urls?.Split(',', StringSplitOptions.TrimEntries) ?? [])
        {
            if (Uri.TryCreate(part, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0)
            {
                throw new ArgumentException(
                    "--nats-url must not carry a user name, password or token, which the command line shows to other users; give them in Nats:Url in a --config file only the service can read, in ADHERENCE_Nats__Url, or as Nats:CredentialsFile.");
            }
        }

        return urls;
    }

    public sealed record ReplaySource(string RecordingPath, string Participant, FirmwareProfile Profile, int? Segment, DateTimeOffset? Start, double? Speed);

    public sealed record GatewaySettings(
        NatsClientOptions Nats,
        FramePublisherOptions Publisher,
        FrameStreamOptions Stream,
        bool ProvisionStream,
        ReplaySource? Replay,
        string? RegistryPath,
        string ProfilesDirectory,
        IConfiguration Configuration);

    public static async Task<Exit> RunAsync(GatewaySettings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        using var loggers = LoggerFactory.Create(builder => builder
            .AddConfiguration(settings.Configuration.GetSection("Logging"))
            // Logs go to standard error; standard output carries the summary.
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        await using var connection = new NatsConnection(settings.Nats.ToNatsOpts() with { LoggerFactory = loggers });
        var jetStream = new NatsJSContext(connection);
        if (settings.ProvisionStream)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            try
            {
                await FrameStreamProvisioning.EnsureAsync(jetStream, settings.Stream, timeout.Token);
            }
            catch (Exception ex) when (ex is NatsException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                await error.WriteLineAsync($"error: could not create the stream {settings.Stream.Name} at {settings.Nats.Url}: {ex.Message}");
                return Exit.NatsUnavailable;
            }
        }

        FramePublisher publisher;
        try
        {
            publisher = new FramePublisher(jetStream, settings.Publisher, loggers.CreateLogger<FramePublisher>());
        }
        catch (IOException ex)
        {
            await error.WriteLineAsync($"error: the frame spool {settings.Publisher.SpoolDirectory} cannot be used: {ex.Message}");
            return Exit.BadInput;
        }

        await using (publisher)
        {
            var exit = settings.Replay is { } replay
                ? await ReplayAsync(publisher, replay, output, error, cancellationToken)
                : await StreamBleAsync(publisher, settings, loggers, output, error, cancellationToken);
            if (exit != Exit.Ok)
            {
                return exit;
            }

            using var flush = new CancellationTokenSource(FlushTimeout);
            try
            {
                await publisher.FlushAsync(flush.Token);
            }
            catch (OperationCanceledException)
            {
                var waiting = publisher.GetStatistics().FramesSpooled;
                await error.WriteLineAsync($"warning: NATS did not take every frame within {FlushTimeout.TotalMinutes:0} minutes; {waiting:N0} wait in the spool ({settings.Publisher.SpoolDirectory}) and are sent at the next run.");
                await PrintSummaryAsync(output, publisher);
                return Exit.NatsUnavailable;
            }

            await PrintSummaryAsync(output, publisher);
            return Exit.Ok;
        }
    }

    private static async Task<Exit> ReplayAsync(FramePublisher publisher, ReplaySource replay, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        Recording recording;
        try
        {
            recording = ReplayCommand.PickRecording(RecordingReader.Open(replay.RecordingPath), replay.Segment, replay.RecordingPath);
        }
        catch (Exception ex) when (ex is RecordingFormatException or IOException or ArgumentException)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return Exit.BadInput;
        }

        // The same bytes `adherence replay` decodes: calibrated to g, encoded as the profile's device sends them.
        var (calibrated, _) = RecordingCalibration.Calibrate(recording);
        var wearable = new VirtualWearable(replay.Profile, Pipeline.RecordingReplay.ToSensorRecording(calibrated),
            new VirtualWearableOptions { DeviceAddress = "virtual:" + replay.Profile.Id });
        var start = replay.Start ?? recording.StartUtc ?? ReplayCommand.DefaultStart;
        var startNs = start.ToUnixTimeMilliseconds() * 1_000_000;
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Publishing {recording} as {replay.Profile.Id} for {replay.Participant} to {FrameSubjects.Frames(publisher.Site, replay.Participant)}, from {start:u}, speed {(replay.Speed is { } s ? s.ToString("0.##", CultureInfo.InvariantCulture) + "x" : "max")}"));
        var wallStart = TimeProvider.System.GetTimestamp();
        foreach (var notification in wearable.Notifications)
        {
            if (replay.Speed is { } speed)
            {
                var due = notification.Offset / speed - TimeProvider.System.GetElapsedTime(wallStart);
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, cancellationToken);
                }
            }

            var frame = new RawFrame(wearable.Options.DeviceAddress, notification.Characteristic, startNs + notification.Offset.Ticks * 100, notification.Payload);
            await publisher.EnqueueAsync(replay.Participant, replay.Profile.Id, frame, cancellationToken);
        }

        return Exit.Ok;
    }

    private static async Task<Exit> StreamBleAsync(FramePublisher publisher, GatewaySettings settings, ILoggerFactory loggers, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        Adherence.ParticipantRegistry registry;
        IReadOnlyList<FirmwareProfile> profiles;
        BlueZOptions ble;
        try
        {
            profiles = FirmwareProfileLoader.LoadDirectory(settings.ProfilesDirectory, out var profileErrors);
            foreach (var e in profileErrors)
            {
                await error.WriteLineAsync($"warning: {e}");
            }

            registry = Adherence.ParticipantRegistryLoader.Load(settings.RegistryPath!, [.. profiles.Select(p => p.Id)]);
            ble = settings.Configuration.GetSection(BlueZOptions.SectionName).Get<BlueZOptions>() ?? new BlueZOptions();
        }
        catch (Exception ex) when (ex is Adherence.RegistryValidationException or IOException or InvalidOperationException)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return Exit.BadInput;
        }

        // Every device bound to one of this site's participants at some time: a binding that starts or
        // ends while the gateway runs is honoured frame by frame through the registry.
        var bound = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var participant in registry.Participants.Where(p => string.Equals(p.Site, publisher.Site, StringComparison.Ordinal)))
        {
            foreach (var binding in participant.Devices)
            {
                bound.TryAdd(binding.Address, binding.ProfileId);
            }
        }

        if (bound.Count == 0)
        {
            await error.WriteLineAsync($"error: no device in {settings.RegistryPath} is bound to a participant of site '{publisher.Site}'.");
            return Exit.BadInput;
        }

        BlueZTransport transport;
        try
        {
            transport = new BlueZTransport(ble, profiles, bound, logger: loggers.CreateLogger<BlueZTransport>());
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return Exit.BadInput;
        }

        await using (transport)
        {
            await output.WriteLineAsync($"Gateway for site '{publisher.Site}': {bound.Count} bound device(s), publishing to {FrameSubjects.Site(publisher.Site)}; Ctrl+C stops.");
            // Device status goes to the participant's owner beside the frames (DeviceStatusFrame): at every change,
            // and every Worker:StatusInterval for connected devices. A disconnected device sends nothing more, so
            // the silence still ends its wear period after Nats:Worker:IdleClose.
            var statusInterval = settings.Configuration.GetValue($"{Worker.WorkerOptions.SectionName}:{nameof(Worker.WorkerOptions.StatusInterval)}", new Worker.WorkerOptions().StatusInterval);
            using var enqueueGate = new SemaphoreSlim(1, 1);
            var statuses = Channel.CreateUnbounded<BleDeviceStatus>(new UnboundedChannelOptions { SingleReader = true });
            using var changes = transport.Events.OfType<BleDeviceStatusChanged>().Subscribe(e => statuses.Writer.TryWrite(e.Status));
            using var statusTimer = TimeProvider.System.CreateTimer(_ =>
            {
                foreach (var status in transport.GetStatus().Where(s => s.Connected))
                {
                    statuses.Writer.TryWrite(status);
                }
            }, null, statusInterval, statusInterval);
            var statusLoop = PublishStatusAsync(publisher, registry, statuses.Reader, enqueueGate);
            await transport.StartAsync(cancellationToken);
            long unbound = 0;
            try
            {
                await foreach (var data in transport.ReadAllAsync(cancellationToken))
                {
                    // The envelope carries frames only; a worker sees a drop-out as the silence it leaves.
                    if (data.Disconnected is not null)
                    {
                        continue;
                    }

                    var frame = data.Frame;
                    var instant = DateTimeOffset.FromUnixTimeMilliseconds(frame.ReceivedUnixNs / 1_000_000);
                    if (registry.FindByDevice(frame.DeviceAddress, instant) is not { } owner || !string.Equals(owner.Participant.Site, publisher.Site, StringComparison.Ordinal))
                    {
                        // Bound to nobody of this site at this moment (before or after the binding's dates).
                        unbound++;
                        continue;
                    }

                    await enqueueGate.WaitAsync(CancellationToken.None);
                    try
                    {
                        await publisher.EnqueueAsync(owner.Participant.Id, owner.Binding.ProfileId, frame, CancellationToken.None);
                    }
                    finally
                    {
                        enqueueGate.Release();
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C: stop the radio, then deliver what is queued.
            }

            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await transport.StopAsync(stop.Token);
            // The last word on every device: disconnected, with its final counts.
            await statusTimer.DisposeAsync();
            changes.Dispose();
            foreach (var status in transport.GetStatus())
            {
                statuses.Writer.TryWrite(status);
            }

            statuses.Writer.TryComplete();
            await statusLoop;
            if (unbound > 0)
            {
                await output.WriteLineAsync($"  {unbound:N0} frame(s) of devices not bound at that moment were not published.");
            }
        }

        return Exit.Ok;
    }

    private static async Task PublishStatusAsync(FramePublisher publisher, Adherence.ParticipantRegistry registry, ChannelReader<BleDeviceStatus> statuses, SemaphoreSlim enqueueGate)
    {
        await foreach (var status in statuses.ReadAllAsync())
        {
            var instant = DateTimeOffset.FromUnixTimeMilliseconds(status.TimestampUnixNs / 1_000_000);
            if (registry.FindByDevice(status.DeviceAddress, instant) is not { } owner || !string.Equals(owner.Participant.Site, publisher.Site, StringComparison.Ordinal))
            {
                continue;
            }

            var frame = DeviceStatusFrame.ToFrame(status.DeviceAddress, status.TimestampUnixNs,
                new GatewayDeviceStatus(status.Connected, status.RssiDbm, status.BatteryPercent, status.FramesReceived, status.Connections, status.FramesDropped));
            await enqueueGate.WaitAsync();
            try
            {
                await publisher.EnqueueAsync(owner.Participant.Id, owner.Binding.ProfileId, frame);
            }
            finally
            {
                enqueueGate.Release();
            }
        }
    }

    private static async Task PrintSummaryAsync(TextWriter output, FramePublisher publisher)
    {
        var s = publisher.GetStatistics();
        await output.WriteLineAsync("Gateway finished");
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"  frames        {s.FramesEnqueued:N0} received, {s.FramesStored:N0} stored by JetStream, {s.FramesDuplicate:N0} already stored, {s.FramesSpooled:N0} waiting in the spool"));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  failed sends  {s.FailedAttempts:N0} (retried)"));
        if (s.PermissionViolations > 0)
        {
            // The frames are kept in the spool; the fix is the site's credentials, not waiting.
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  refused       {s.PermissionViolations:N0} publishes the servers refused for lack of permission: check Nats:CredentialsFile and Nats:Publisher:Site"));
        }
    }
}
