using System.CommandLine;
using System.Text.Json;
using AdherencePipeline.Sensors;

namespace AdherencePipeline.Service.Commands;

/// <summary><c>adherence decode</c>: decode one notification with a profile's decoder and print JSON lines.</summary>
internal static class DecodeCommand
{
    /// <summary>Exit codes, so scripts can tell a bad request from a bad frame.</summary>
    public enum Exit
    {
        Ok = 0,
        BadInput = 1,
        Fault = 2,
    }

    public static Command Create()
    {
        var profileOption = new Option<string>("--profile") { Description = "Profile id, e.g. polar-h10 (see 'adherence profiles list').", Required = true };
        var characteristicOption = new Option<string>("--characteristic") { Description = "Characteristic UUID (128-bit or 16-bit such as 2A37) or its name in the profile.", Required = true };
        var hexOption = new Option<string>("--hex") { Description = "The notification bytes in hex; spaces, ':' and '-' between bytes are allowed.", Required = true };
        var rateOption = new Option<double?>("--sample-rate") { Description = "Override the profile's accelerometer sample rate, Hz." };
        var rangeOption = new Option<double?>("--range") { Description = "Override the profile's accelerometer range, ± G (declarative layouts scaled by range use it)." };
        var receivedOption = new Option<long?>("--received-ns") { Description = "Receive time, Unix ns, for layouts without a timestamp (default: now)." };
        var directoryOption = SensorProfiles.DirectoryOption();
        var command = new Command("decode", "Decode one notification and print one JSON object per sample.")
        {
            profileOption, characteristicOption, hexOption, rateOption, rangeOption, receivedOption, directoryOption,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            string directory;
            try
            {
                directory = SensorProfiles.ResolveDirectory(parseResult, directoryOption);
            }
            catch (ConfigurationException ex)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return (int)Exit.BadInput;
            }

            var (exit, message) = Run(
                directory,
                parseResult.GetValue(profileOption)!,
                parseResult.GetValue(characteristicOption)!,
                parseResult.GetValue(hexOption)!,
                parseResult.GetValue(rateOption),
                parseResult.GetValue(rangeOption),
                parseResult.GetValue(receivedOption),
                output);
            if (message is not null)
            {
                await error.WriteLineAsync(message);
            }

            return (int)exit;
        });
        return command;
    }

    private static (Exit Exit, string? Message) Run(string directory, string id, string characteristicText, string hex, double? rate, double? range, long? receivedNs, TextWriter output)
    {
        if (rate is <= 0 || range is <= 0)
        {
            return (Exit.BadInput, "error: --sample-rate and --range must be greater than 0");
        }

        var path = Path.Combine(directory, id + ".json");
        if (!File.Exists(path))
        {
            return (Exit.BadInput, $"error: no profile '{id}' in {directory} (see 'adherence profiles list')");
        }

        var profile = FirmwareProfileLoader.TryLoad(path, out var errors);
        if (profile is null)
        {
            return (Exit.BadInput, "error: the profile is invalid:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
        }

        var characteristic = profile.Characteristics.FirstOrDefault(c => c.Name == characteristicText)
            ?? (GattUuid.TryParse(characteristicText, out var uuid) ? profile.Find(uuid) : null);
        if (characteristic is null)
        {
            return (Exit.BadInput, $"error: profile '{id}' has no characteristic '{characteristicText}'; it has {string.Join(", ", profile.Characteristics.Select(c => $"{c.Name} ({GattUuid.Format(c.Uuid)})"))}");
        }

        var bytes = Hex.TryParse(hex);
        if (bytes is null)
        {
            return (Exit.BadInput, $"error: --hex '{hex}' is not whole bytes of hex digits");
        }

        if (rate is not null || range is not null)
        {
            characteristic = characteristic with { Decoder = characteristic.Decoder.WithOverrides(rate, range) };
            profile = profile with { Characteristics = [.. profile.Characteristics.Select(c => c.Uuid == characteristic.Uuid ? characteristic : c)] };
        }

        using var decoder = new SensorDecoder(profile, accelerometerCapacity: Math.Max(16, bytes.Length * 8));
        var received = receivedNs ?? (DateTimeOffset.UtcNow.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        var result = decoder.Decode(characteristic.Uuid, bytes, received);
        if (!result.IsSuccess)
        {
            return (Exit.Fault, $"decode fault ({characteristic.Decoder.Kind}, {bytes.Length} bytes): {result.Fault}");
        }

        switch (result.Kind)
        {
            case DecodedKind.HeartRate:
                WriteHeartRate(decoder, output);
                break;
            case DecodedKind.Accelerometer:
                WriteAccelerometer(decoder.Accelerometer, output);
                break;
            case DecodedKind.ControlPoint:
                WriteControlPoint(decoder, output);
                break;
            default:
                break;
        }

        return (Exit.Ok, null);
    }

    private static void WriteHeartRate(SensorDecoder decoder, TextWriter output)
    {
        var m = decoder.HeartRate;
        WriteLine(output, w =>
        {
            w.WriteNumber("hr_bpm", m.HeartRateBpm);
            if (m.Contact == SensorContact.NotSupported)
            {
                w.WriteNull("contact");
            }
            else
            {
                w.WriteBoolean("contact", m.Contact == SensorContact.Contact);
            }

            if (m.EnergyExpendedKj is { } energy)
            {
                w.WriteNumber("energy_kj", energy);
            }
            else
            {
                w.WriteNull("energy_kj");
            }

            w.WriteStartArray("rr_ms");
            foreach (var rr in decoder.RrIntervalsRaw)
            {
                w.WriteNumberValue(HeartRateMeasurement.RrToMilliseconds(rr));
            }

            w.WriteEndArray();
        });
    }

    private static void WriteAccelerometer(AccelerometerBlock block, TextWriter output)
    {
        for (var i = 0; i < block.Count; i++)
        {
            var (t, x, y, z) = (block.TimestampsNs[i], block.XMilliG[i], block.YMilliG[i], block.ZMilliG[i]);
            WriteLine(output, w =>
            {
                w.WriteNumber("t_ns", t);
                w.WriteNumber("x_mg", x);
                w.WriteNumber("y_mg", y);
                w.WriteNumber("z_mg", z);
            });
        }
    }

    private static void WriteControlPoint(SensorDecoder decoder, TextWriter output)
    {
        var r = decoder.ControlPoint;
        WriteLine(output, w =>
        {
            w.WriteString("control_point", r.IsDeviceStop ? "device_stop" : "response");
            w.WriteString("op", r.OpCode.ToString());
            w.WriteNumber("measurement_type", r.MeasurementType);
            w.WriteString("status", r.Status.ToString());
            w.WriteBoolean("more", r.MoreFollows);
            if (r.IsSuccess && decoder.ControlPointSettings is { } settings)
            {
                w.WriteStartObject("settings");
                foreach (var type in settings.Types)
                {
                    w.WriteStartArray(type.ToString());
                    foreach (var v in settings[type])
                    {
                        w.WriteNumberValue(v);
                    }

                    w.WriteEndArray();
                }

                w.WriteEndObject();
            }
        });
    }

    private static void WriteLine(TextWriter output, Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
