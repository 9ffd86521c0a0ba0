using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using AdherencePipeline.Json;

namespace AdherencePipeline.Sensors;

/// <summary>One problem in a profile file: which file, where in the JSON, and what was expected.</summary>
/// <param name="File">The profile file.</param>
/// <param name="JsonPath">Where, e.g. <c>$.characteristics[1].decoder.kind</c>.</param>
/// <param name="Message">What was expected and what was found.</param>
public sealed record ProfileError(string File, string JsonPath, string Message)
{
    /// <summary><c>file: $.path: message</c>.</summary>
    public override string ToString() => $"{File}: {JsonPath}: {Message}";
}

/// <summary>A profile failed validation; <see cref="Errors"/> lists every problem found.</summary>
public sealed class ProfileValidationException : Exception
{
    /// <summary>Creates the exception from the problems found.</summary>
    public ProfileValidationException(IReadOnlyList<ProfileError> errors)
        : base(string.Join(Environment.NewLine, errors ?? []))
    {
        Errors = errors ?? [];
    }

    /// <summary>Creates an exception without details.</summary>
    public ProfileValidationException()
        : this([])
    {
    }

    /// <summary>Creates an exception with a message only.</summary>
    public ProfileValidationException(string message)
        : base(message)
    {
        Errors = [];
    }

    /// <summary>Creates an exception with a message and cause.</summary>
    public ProfileValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    /// <summary>Every problem found, in file order.</summary>
    public IReadOnlyList<ProfileError> Errors { get; }
}

/// <summary>
/// Loads firmware profiles and validates them field by field, following
/// <c>firmware-profiles/profile.schema.json</c>. Every problem is reported with the file, the JSON
/// path and what was expected; unknown properties are errors too, so a misspelt key cannot be
/// silently ignored.
/// </summary>
public static class FirmwareProfileLoader
{
    /// <summary>The default folder name, next to the executable.</summary>
    public const string DefaultDirectoryName = "firmware-profiles";

    /// <summary>The schema file in that folder; it is not a profile.</summary>
    public const string SchemaFileName = "profile.schema.json";

    // A guard against a pathological pattern, not a speed limit: a busy machine can pause a thread for
    // longer than 100 ms, and a valid file must not be refused for that.
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Loads one file; throws <see cref="ProfileValidationException"/> listing every problem.</summary>
    public static FirmwareProfile Load(string path)
    {
        var profile = TryLoad(path, out var errors);
        return profile ?? throw new ProfileValidationException(errors);
    }

    /// <summary>Loads one file; returns <c>null</c> and the problems when it is not valid.</summary>
    public static FirmwareProfile? TryLoad(string path, out IReadOnlyList<ProfileError> errors)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors = [new ProfileError(path, "$", $"cannot read the file: {ex.Message}")];
            return null;
        }

        return TryParse(text, path, out errors);
    }

    /// <summary>Parses profile JSON; <paramref name="sourceName"/> names it in errors and must be <c>ID.json</c>.</summary>
    public static FirmwareProfile? TryParse(string json, string sourceName, out IReadOnlyList<ProfileError> errors)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(sourceName);
        var reader = new Reader(sourceName);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = false });
        }
        catch (JsonException ex)
        {
            errors = [new ProfileError(sourceName, ex.Path is { Length: > 0 } p ? p : "$", $"expected valid JSON: {ex.Message}")];
            return null;
        }

        using (document)
        {
            var profile = reader.ReadProfile(document.RootElement);
            errors = reader.Errors;
            return errors.Count == 0 ? profile : null;
        }
    }

    /// <summary>
    /// Loads every <c>*.json</c> profile in a folder (the schema file excepted). Valid profiles are
    /// returned even when others fail; duplicate ids are errors.
    /// </summary>
    public static IReadOnlyList<FirmwareProfile> LoadDirectory(string directory, out IReadOnlyList<ProfileError> errors)
    {
        var all = new List<ProfileError>();
        var profiles = new List<FirmwareProfile>();
        if (!Directory.Exists(directory))
        {
            errors = [new ProfileError(directory, "$", "expected a folder of firmware profiles; it does not exist")];
            return profiles;
        }

        foreach (var file in Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(file) == SchemaFileName)
            {
                continue;
            }

            var profile = TryLoad(file, out var fileErrors);
            all.AddRange(fileErrors);
            if (profile is null)
            {
                continue;
            }

            if (profiles.Find(p => p.Id == profile.Id) is { } other)
            {
                all.Add(new ProfileError(file, "$.id", $"expected a unique id; '{profile.Id}' is also used by {other.SourcePath}"));
                continue;
            }

            profiles.Add(profile);
        }

        errors = all;
        return profiles;
    }

    /// <summary>Walks the JSON, collecting errors instead of stopping at the first.</summary>
    private sealed class Reader(string file) : JsonFieldReader
    {
        private readonly List<ProfileError> _errors = [];

        public IReadOnlyList<ProfileError> Errors => _errors;

        public FirmwareProfile? ReadProfile(JsonElement root)
        {
            if (!Expect(root, JsonValueKind.Object, "$", "an object"))
            {
                return null;
            }

            Known(root, "$", "$schema", "id", "displayName", "recognition", "characteristics", "start", "stop");
            var id = String(root, "$", "id", required: true);
            if (id is not null && !Regex.IsMatch(id, "^[a-z0-9][a-z0-9-]*$", RegexOptions.None, RegexTimeout))
            {
                Error("$.id", $"expected lower-case letters, digits and '-', found '{id}'");
            }

            var expectedId = Path.GetFileNameWithoutExtension(file);
            if (id is not null && Path.GetExtension(file) == ".json" && id != expectedId)
            {
                Error("$.id", $"expected '{expectedId}' (the file name without .json), found '{id}'");
            }

            var displayName = String(root, "$", "displayName", required: true);
            var recognition = ReadRecognition(root);
            var characteristics = ReadArray(root, "$", "characteristics", required: true, ReadCharacteristic);
            if (characteristics is { Count: 0 })
            {
                Error("$.characteristics", "expected at least one characteristic");
            }

            var start = Complete(ReadArray(root, "$", "start", required: false, ReadWrite) ?? []);
            var stop = Complete(ReadArray(root, "$", "stop", required: false, ReadWrite) ?? []);
            var complete = Complete(characteristics);
            if (complete is not null)
            {
                if (start is not null)
                {
                    CheckWrites(complete, start, "start");
                }

                if (stop is not null)
                {
                    CheckWrites(complete, stop, "stop");
                }

                for (var i = 0; i < complete.Count; i++)
                {
                    for (var j = 0; j < i; j++)
                    {
                        if (complete[i].Uuid == complete[j].Uuid)
                        {
                            Error($"$.characteristics[{i}].uuid", $"expected a UUID not listed before; it repeats $.characteristics[{j}]");
                        }
                    }
                }
            }

            if (_errors.Count > 0 || id is null || displayName is null || recognition is null || complete is null || start is null || stop is null)
            {
                return null;
            }

            return new FirmwareProfile(id, displayName, recognition, complete, [.. start.Select(w => w.Write)], [.. stop.Select(w => w.Write)], file);
        }

        /// <summary>The list without nulls, or <c>null</c> when an item failed (its error is already recorded).</summary>
        private static List<T>? Complete<T>(List<T?>? items)
            where T : class =>
            items is null || items.Exists(i => i is null) ? null : items.ConvertAll(i => i!);

        private void CheckWrites(List<CharacteristicProfile> characteristics, List<ParsedWrite> writes, string name)
        {
            for (var i = 0; i < writes.Count; i++)
            {
                var write = writes[i];
                var path = $"$.{name}[{i}]";
                if (!characteristics.Any(c => c.Uuid == write.Write.Characteristic))
                {
                    Error($"{path}.characteristic", $"expected the UUID of a characteristic listed in $.characteristics, found '{GattUuid.Format(write.Write.Characteristic)}'");
                }

                if (write.PmdStart is not { } settings)
                {
                    continue;
                }

                var accIndex = characteristics.FindIndex(c => c.Decoder is PmdAccelerometerDecoderSpec);
                if (accIndex < 0)
                {
                    continue;
                }

                var acc = ((PmdAccelerometerDecoderSpec)characteristics[accIndex].Decoder).Settings;
                var decoderPath = $"$.characteristics[{accIndex}].decoder.parameters";
                Same(settings, PmdSettingType.SampleRate, acc.SampleRateHz, $"{path}.pmd.settings.sampleRate", $"{decoderPath}.sampleRateHz");
                Same(settings, PmdSettingType.Resolution, acc.ResolutionBits, $"{path}.pmd.settings.resolution", $"{decoderPath}.resolutionBits");
                Same(settings, PmdSettingType.Range, acc.RangeG, $"{path}.pmd.settings.range", $"{decoderPath}.rangeG");
            }

            void Same(IReadOnlyList<PmdSetting> settings, PmdSettingType type, int expected, string path, string other)
            {
                foreach (var s in settings)
                {
                    if (s.Type == type && s.Value != expected)
                    {
                        Error(path, $"expected {expected} to agree with {other}, found {s.Value}");
                    }
                }
            }
        }

        private DeviceRecognition? ReadRecognition(JsonElement root)
        {
            const string path = "$.recognition";
            if (!Property(root, "$", "recognition", required: true, out var element) || !Expect(element, JsonValueKind.Object, path, "an object"))
            {
                return null;
            }

            Known(element, path, "namePattern", "serviceUuids");
            Regex? pattern = null;
            var patternText = String(element, path, "namePattern", required: false);
            if (patternText is not null)
            {
                try
                {
                    pattern = new Regex(patternText, RegexOptions.CultureInvariant, RegexTimeout);
                }
                catch (ArgumentException ex)
                {
                    Error($"{path}.namePattern", $"expected a .NET regular expression: {ex.Message}");
                }
            }

            var services = ReadArray(element, path, "serviceUuids", required: true, (e, p) => Uuid(e, p)) ?? [];
            return new DeviceRecognition(pattern, [.. services.OfType<Guid>()]);
        }

        private CharacteristicProfile? ReadCharacteristic(JsonElement element, string path)
        {
            if (!Expect(element, JsonValueKind.Object, path, "an object"))
            {
                return null;
            }

            Known(element, path, "name", "service", "uuid", "subscribe", "maxPayloadBytes", "decoder");
            var name = String(element, path, "name", required: true);
            var service = Property(element, path, "service", required: true, out var s) ? Uuid(s, $"{path}.service") : null;
            var uuid = Property(element, path, "uuid", required: true, out var u) ? Uuid(u, $"{path}.uuid") : null;
            var subscribe = Enum(element, path, "subscribe", required: true, ["notify", "indicate", "none"]) switch
            {
                "notify" => SubscribeMode.Notify,
                "indicate" => SubscribeMode.Indicate,
                _ => SubscribeMode.None,
            };
            var maxPayload = Integer(element, path, "maxPayloadBytes", required: false, 1, 512) ?? 20;
            var decoder = ReadDecoder(element, path);
            if (decoder is NoDecoderSpec && subscribe != SubscribeMode.None)
            {
                Error($"{path}.decoder.kind", "expected a decoder for a subscribed characteristic; \"none\" is only for subscribe \"none\"");
            }
            if (name is null || service is null || uuid is null || decoder is null)
            {
                return null;
            }

            return new CharacteristicProfile(name, service.Value, uuid.Value, subscribe, (int)maxPayload, decoder);
        }

        private DecoderSpec? ReadDecoder(JsonElement characteristic, string parent)
        {
            var path = $"{parent}.decoder";
            if (!Property(characteristic, parent, "decoder", required: true, out var element) || !Expect(element, JsonValueKind.Object, path, "an object"))
            {
                return null;
            }

            Known(element, path, "kind", "parameters");
            var kind = Enum(element, path, "kind", required: true, DecoderSpec.Kinds);
            var parametersPath = $"{path}.parameters";
            var hasParameters = Property(element, path, "parameters", required: false, out var parameters);
            if (hasParameters && !Expect(parameters, JsonValueKind.Object, parametersPath, "an object"))
            {
                return null;
            }

            switch (kind)
            {
                case "none":
                    NoParameters(hasParameters, parameters, parametersPath);
                    return new NoDecoderSpec();
                case "hrs-measurement":
                    NoParameters(hasParameters, parameters, parametersPath);
                    return new HeartRateDecoderSpec();
                case "pmd-control-point":
                    NoParameters(hasParameters, parameters, parametersPath);
                    return new PmdControlPointDecoderSpec();
                case "pmd-accelerometer":
                    if (!hasParameters)
                    {
                        Error(parametersPath, "expected an object with sampleRateHz, resolutionBits, rangeG, frameType and compressed; it is missing");
                        return null;
                    }

                    return ReadPmdAccelerometer(parameters, parametersPath);
                case "declarative-accelerometer":
                    if (!hasParameters)
                    {
                        Error(parametersPath, "expected an object describing the struct layout; it is missing");
                        return null;
                    }

                    return ReadDeclarative(parameters, parametersPath);
                default:
                    return null;
            }
        }

        private void NoParameters(bool hasParameters, JsonElement parameters, string path)
        {
            if (hasParameters)
            {
                Known(parameters, path);
            }
        }

        private PmdAccelerometerDecoderSpec? ReadPmdAccelerometer(JsonElement p, string path)
        {
            Known(p, path, "sampleRateHz", "resolutionBits", "rangeG", "frameType", "compressed");
            var rate = Integer(p, path, "sampleRateHz", required: true, 1, ushort.MaxValue);
            var resolution = Integer(p, path, "resolutionBits", required: true, 2, 32);
            var range = Integer(p, path, "rangeG", required: true, 1, ushort.MaxValue);
            var frameType = Integer(p, path, "frameType", required: true, 0, 2);
            var compressed = Boolean(p, path, "compressed", required: true);
            if (compressed == true && frameType is > 1)
            {
                Error($"{path}.frameType", $"expected 0 or 1 for a compressed frame, found {frameType}");
            }

            if (rate is null || resolution is null || range is null || frameType is null || compressed is null)
            {
                return null;
            }

            return new PmdAccelerometerDecoderSpec(new PmdAccelerometerSettings((int)rate, (int)resolution, (int)range), (int)frameType, compressed.Value);
        }

        private DeclarativeDecoderSpec? ReadDeclarative(JsonElement p, string path)
        {
            Known(p, path, "valueType", "axes", "endianness", "scaleMilliG", "rangeG", "sampleRateHz", "headerBytes", "timestamp", "samplesPerFrame");
            var valueType = Enum(p, path, "valueType", required: true, ["int8", "int16", "int24", "int32"]) switch
            {
                "int8" => LayoutValueType.Int8,
                "int16" => LayoutValueType.Int16,
                "int24" => LayoutValueType.Int24,
                "int32" => (LayoutValueType?)LayoutValueType.Int32,
                _ => null,
            };
            var axes = ReadArray(p, path, "axes", required: true, (e, ep) => Enum(e, ep, ["x", "y", "z"]) switch
            {
                "x" => Axis.X,
                "y" => Axis.Y,
                "z" => (Axis?)Axis.Z,
                _ => null,
            });
            if (axes is not null && (axes.Count != 3 || axes.Distinct().Count() != 3))
            {
                Error($"{path}.axes", "expected x, y and z once each, in the order they appear in a sample");
            }

            var bigEndian = (Enum(p, path, "endianness", required: false, ["little", "big"]) ?? "little") == "big";
            var scale = Number(p, path, "scaleMilliG", required: false, positive: true);
            var range = Number(p, path, "rangeG", required: false, positive: true);
            if ((scale is null) == (range is null) && p.TryGetProperty("scaleMilliG", out _) == p.TryGetProperty("rangeG", out _))
            {
                Error(path, "expected exactly one of scaleMilliG (milli-g per LSB) and rangeG (± full scale)");
            }

            var rate = Number(p, path, "sampleRateHz", required: true, positive: true);
            var header = Integer(p, path, "headerBytes", required: false, 0, 64) ?? 0;
            var samplesPerFrame = Integer(p, path, "samplesPerFrame", required: false, 1, 1024);
            LayoutTimestamp? timestamp = null;
            if (Property(p, path, "timestamp", required: false, out var t))
            {
                timestamp = ReadLayoutTimestamp(t, $"{path}.timestamp", (int)header);
            }

            if (valueType is null || axes is null || axes.Count != 3 || rate is null || (scale is null && range is null) || _errors.Count > 0)
            {
                return null;
            }

            var scaleMilliG = scale ?? DeclarativeLayout.ScaleForRange(range!.Value, valueType.Value);
            var layout = new DeclarativeLayout(valueType.Value, [.. axes.Select(a => a!.Value)], scaleMilliG, rate.Value, bigEndian, (int)header, timestamp, (int?)samplesPerFrame);
            return new DeclarativeDecoderSpec(layout, range);
        }

        private LayoutTimestamp? ReadLayoutTimestamp(JsonElement t, string path, int headerBytes)
        {
            if (!Expect(t, JsonValueKind.Object, path, "an object"))
            {
                return null;
            }

            Known(t, path, "offset", "type", "unitNs", "refersTo");
            var offset = Integer(t, path, "offset", required: true, 0, 63);
            var type = Enum(t, path, "type", required: true, ["uint32", "uint64"]) switch
            {
                "uint32" => LayoutTimestampType.UInt32,
                "uint64" => (LayoutTimestampType?)LayoutTimestampType.UInt64,
                _ => null,
            };
            var unit = Number(t, path, "unitNs", required: true, positive: true);
            var first = (Enum(t, path, "refersTo", required: false, ["first", "last"]) ?? "last") == "first";
            if (offset is null || type is null || unit is null)
            {
                return null;
            }

            if (offset + (int)type > headerBytes)
            {
                Error($"{path}.offset", $"expected the {(int)type}-byte timestamp to fit in the {headerBytes}-byte header (headerBytes), found offset {offset}");
                return null;
            }

            return new LayoutTimestamp((int)offset, type.Value, unit.Value, first);
        }

        private ParsedWrite? ReadWrite(JsonElement element, string path)
        {
            if (!Expect(element, JsonValueKind.Object, path, "an object"))
            {
                return null;
            }

            Known(element, path, "characteristic", "hex", "pmd", "withResponse");
            var characteristic = Property(element, path, "characteristic", required: true, out var c) ? Uuid(c, $"{path}.characteristic") : null;
            var withResponse = Boolean(element, path, "withResponse", required: false) ?? true;
            var hasHex = element.TryGetProperty("hex", out _);
            var hasPmd = element.TryGetProperty("pmd", out var pmd);
            if (hasHex == hasPmd)
            {
                Error(path, "expected exactly one of 'hex' (literal bytes) and 'pmd' (a structured PMD request)");
                return null;
            }

            byte[]? value = null;
            IReadOnlyList<PmdSetting>? startSettings = null;
            if (hasHex)
            {
                var hex = String(element, path, "hex", required: true);
                if (hex is not null)
                {
                    value = Hex.TryParse(hex);
                    if (value is null or { Length: 0 })
                    {
                        Error($"{path}.hex", $"expected pairs of hex digits, optionally separated by spaces, found '{hex}'");
                    }
                }
            }
            else
            {
                (value, startSettings) = ReadPmdRequest(pmd, $"{path}.pmd");
            }

            return characteristic is null || value is null ? null : new ParsedWrite(new ControlWrite(characteristic.Value, value, withResponse), startSettings);
        }

        private (byte[]? Value, IReadOnlyList<PmdSetting>? Start) ReadPmdRequest(JsonElement element, string path)
        {
            if (!Expect(element, JsonValueKind.Object, path, "an object"))
            {
                return (null, null);
            }

            Known(element, path, "op", "measurement", "settings");
            var op = Enum(element, path, "op", required: true, ["get-settings", "start", "stop"]);
            var measurement = Enum(element, path, "measurement", required: true, ["ecg", "ppg", "acc", "ppi", "gyro", "magnetometer"]) switch
            {
                "ecg" => PmdMeasurementType.Ecg,
                "ppg" => PmdMeasurementType.Ppg,
                "acc" => PmdMeasurementType.Acc,
                "ppi" => PmdMeasurementType.Ppi,
                "gyro" => PmdMeasurementType.Gyro,
                "magnetometer" => (PmdMeasurementType?)PmdMeasurementType.Magnetometer,
                _ => null,
            };
            var hasSettings = Property(element, path, "settings", required: op == "start", out var settingsElement);
            if (hasSettings && op != "start")
            {
                Error($"{path}.settings", $"expected no settings for op '{op}'");
            }

            var settings = new List<PmdSetting>();
            if (hasSettings && op == "start" && Expect(settingsElement, JsonValueKind.Object, $"{path}.settings", "an object"))
            {
                var sp = $"{path}.settings";
                Known(settingsElement, sp, "sampleRate", "resolution", "range", "channels");
                Add(PmdSettingType.SampleRate, Integer(settingsElement, sp, "sampleRate", required: false, 1, ushort.MaxValue));
                Add(PmdSettingType.Resolution, Integer(settingsElement, sp, "resolution", required: false, 1, ushort.MaxValue));
                Add(PmdSettingType.Range, Integer(settingsElement, sp, "range", required: false, 1, ushort.MaxValue));
                Add(PmdSettingType.Channels, Integer(settingsElement, sp, "channels", required: false, 1, byte.MaxValue));
                if (settings.Count == 0)
                {
                    Error(sp, "expected at least one of sampleRate, resolution, range, channels");
                }
            }

            if (op is null || measurement is null)
            {
                return (null, null);
            }

            var buffer = new byte[2 + settings.Count * 4];
            var length = op switch
            {
                "get-settings" => PmdControlPoint.WriteGetSettings(measurement.Value, buffer),
                "stop" => PmdControlPoint.WriteStop(measurement.Value, buffer),
                _ => PmdControlPoint.WriteStart(measurement.Value, [.. settings], buffer),
            };
            return (buffer[..length], op == "start" ? settings : null);

            void Add(PmdSettingType type, long? value)
            {
                if (value is { } v)
                {
                    settings.Add(new PmdSetting(type, (int)v));
                }
            }
        }

        private double? Number(JsonElement parent, string parentPath, string name, bool required, bool positive)
        {
            if (!Property(parent, parentPath, name, required, out var element))
            {
                return null;
            }

            var path = $"{parentPath}.{name}";
            if (element.ValueKind != JsonValueKind.Number || !element.TryGetDouble(out var value) || !double.IsFinite(value))
            {
                Error(path, $"expected a number, found {Describe(element)}");
                return null;
            }

            if (positive && value <= 0)
            {
                Error(path, $"expected a number greater than 0, found {value.ToString(CultureInfo.InvariantCulture)}");
                return null;
            }

            return value;
        }

        private Guid? Uuid(JsonElement element, string path)
        {
            if (element.ValueKind == JsonValueKind.String && GattUuid.TryParse(element.GetString(), out var uuid))
            {
                return uuid;
            }

            Error(path, $"expected a UUID (128-bit 8-4-4-4-12 hex, or a 16-bit SIG short form such as \"2A37\"), found {Describe(element)}");
            return null;
        }

        protected override void Error(string path, string message) => _errors.Add(new ProfileError(file, path, message));
    }

    private sealed record ParsedWrite(ControlWrite Write, IReadOnlyList<PmdSetting>? PmdStart);
}

/// <summary>Hex text ⇄ bytes, tolerant of spaces, colons and dashes between byte pairs.</summary>
public static class Hex
{
    /// <summary>Parses hex text; <c>null</c> when it is not whole bytes of hex digits.</summary>
    public static byte[]? TryParse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var digits = new System.Text.StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is ' ' or ':' or '-' or '\t')
            {
                continue;
            }

            if (!char.IsAsciiHexDigit(c))
            {
                return null;
            }

            digits.Append(c);
        }

        if (digits.Length % 2 != 0)
        {
            return null;
        }

        return Convert.FromHexString(digits.ToString());
    }

    /// <summary>Lower-case hex with a space between bytes.</summary>
    public static string Format(ReadOnlySpan<byte> bytes)
    {
        var builder = new System.Text.StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if (builder.Length > 0)
            {
                builder.Append(' ');
            }

            builder.Append(b.ToString("x2", CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }
}
