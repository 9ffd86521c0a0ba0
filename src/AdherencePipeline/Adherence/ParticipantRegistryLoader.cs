using System.Globalization;
using System.Text.Json;
using AdherencePipeline.Json;
using AdherencePipeline.Outcomes;

namespace AdherencePipeline.Adherence;

/// <summary>One problem in a participant registry: the file, the entry, the field and what was expected.</summary>
/// <param name="File">The registry file.</param>
/// <param name="Entry">The participant's code, <c>participants[INDEX]</c> when the code itself is unusable, <c>ARM/TIME-POINT</c> for an unknown instrument in an outcome schedule, or <c>registry</c> for other top-level fields.</param>
/// <param name="JsonPath">The field, e.g. <c>$.participants[0].prescriptions[1].sessionsPerWeek</c>.</param>
/// <param name="Message">What was expected and what was found.</param>
public sealed record RegistryError(string File, string Entry, string JsonPath, string Message)
{
    /// <summary><c>file: entry: $.path: message</c>.</summary>
    public override string ToString() => $"{File}: {Entry}: {JsonPath}: {Message}";
}

/// <summary>A registry failed validation; <see cref="Errors"/> lists every problem found.</summary>
public sealed class RegistryValidationException : Exception
{
    /// <summary>Creates the exception from the problems found.</summary>
    public RegistryValidationException(IReadOnlyList<RegistryError> errors)
        : base(string.Join(Environment.NewLine, errors ?? []))
    {
        Errors = errors ?? [];
    }

    /// <summary>Creates an exception without details.</summary>
    public RegistryValidationException()
        : this([])
    {
    }

    /// <summary>Creates an exception with a message only.</summary>
    public RegistryValidationException(string message)
        : base(message)
    {
        Errors = [];
    }

    /// <summary>Creates an exception with a message and cause.</summary>
    public RegistryValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    /// <summary>Every problem found, in file order.</summary>
    public IReadOnlyList<RegistryError> Errors { get; }
}

/// <summary>
/// Loads the participant registry (<c>participants.json</c>) and validates it field by field, following
/// <c>data/participants.schema.json</c>, then across fields and participants (dates in order, no
/// overlapping prescriptions, no device bound to two participants at once). Every problem is reported
/// with the file, the participant and the JSON path; unknown properties are errors, so personal data
/// cannot ride along in an extra field.
/// </summary>
public static class ParticipantRegistryLoader
{
    /// <summary>The default file name.</summary>
    public const string DefaultFileName = "participants.json";

    /// <summary>Youngest and oldest accepted age, in years.</summary>
    public const int MinAgeYears = 10, MaxAgeYears = 110;

    /// <summary>Accepted range of a measured maximum heart rate, in bpm.</summary>
    public const double MinMaxHeartRateBpm = 100, MaxMaxHeartRateBpm = 230;

    /// <summary>Accepted range of resting heart rate, in bpm.</summary>
    public const double MinRestingHeartRateBpm = 30, MaxRestingHeartRateBpm = 120;

    /// <summary>The smallest heart-rate reserve (HRmax − HRrest) that makes %HRR meaningful, in bpm.</summary>
    public const double MinReserveBpm = 20;

    /// <summary>Loads a registry; throws <see cref="RegistryValidationException"/> listing every problem.</summary>
    public static ParticipantRegistry Load(string path, IReadOnlyCollection<string>? knownProfileIds = null, IReadOnlyCollection<string>? knownInstrumentIds = null)
    {
        var registry = TryLoad(path, out var errors, knownProfileIds, knownInstrumentIds);
        return registry ?? throw new RegistryValidationException(errors);
    }

    /// <summary>
    /// Loads a registry; returns <c>null</c> and every problem when it is not valid. With
    /// <paramref name="knownProfileIds"/>, device bindings must name one of those firmware profiles; with
    /// <paramref name="knownInstrumentIds"/>, outcome schedules must name one of those instruments.
    /// </summary>
    public static ParticipantRegistry? TryLoad(string path, out IReadOnlyList<RegistryError> errors, IReadOnlyCollection<string>? knownProfileIds = null,
        IReadOnlyCollection<string>? knownInstrumentIds = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors = [new RegistryError(path, "registry", "$", $"cannot read the file: {ex.Message}")];
            return null;
        }

        return TryParse(text, path, out errors, knownProfileIds, knownInstrumentIds);
    }

    /// <summary>Parses registry JSON; <paramref name="sourceName"/> names it in errors.</summary>
    public static ParticipantRegistry? TryParse(string json, string sourceName, out IReadOnlyList<RegistryError> errors, IReadOnlyCollection<string>? knownProfileIds = null,
        IReadOnlyCollection<string>? knownInstrumentIds = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(sourceName);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            errors = [new RegistryError(sourceName, "registry", ex.Path is { Length: > 0 } p ? p : "$", $"expected valid JSON: {ex.Message}")];
            return null;
        }

        using (document)
        {
            var reader = new Reader(sourceName, knownProfileIds, knownInstrumentIds);
            var registry = reader.ReadRegistry(document.RootElement);
            errors = reader.Errors;
            return errors.Count == 0 ? registry : null;
        }
    }

    /// <summary>Walks the JSON, collecting errors instead of stopping at the first.</summary>
    private sealed class Reader(string file, IReadOnlyCollection<string>? knownProfileIds, IReadOnlyCollection<string>? knownInstrumentIds) : JsonFieldReader
    {
        private const string RegistryEntry = "registry";

        // Keys that would carry personal data; named in the error so the reason is plain.
        private static readonly string[] PersonalKeys =
            ["name", "firstName", "lastName", "fullName", "surname", "email", "e-mail", "mail", "phone", "mobile", "telephone", "birthDate", "dateOfBirth", "dob", "address", "postcode", "zip", "nationalId", "ssn"];

        private static readonly string[] TopLevelKeys = ["$schema", "arms", "sites", "outcomeSchedules", "participants"];
        private static readonly string[] ParticipantKeys =
            ["id", "arm", "site", "enrolment", "timeZones", "devices", "ageYears", "maxHeartRateBpm", "restingHeartRateBpm", "prescriptions"];

        private readonly List<RegistryError> _errors = [];
        private string _entry = RegistryEntry;

        public IReadOnlyList<RegistryError> Errors => _errors;

        public ParticipantRegistry? ReadRegistry(JsonElement root)
        {
            if (!Expect(root, JsonValueKind.Object, "$", "an object"))
            {
                return null;
            }

            Known(root, "$", TopLevelKeys);
            var arms = Codes(root, "$", "arms");
            var sites = Codes(root, "$", "sites");
            var schedules = ReadOutcomeSchedules(root, arms);
            var participants = new List<Participant>();
            if (Property(root, "$", "participants", required: true, out var list) && Expect(list, JsonValueKind.Array, "$.participants", "an array"))
            {
                var i = 0;
                foreach (var item in list.EnumerateArray())
                {
                    var path = $"$.participants[{i}]";
                    _entry = $"participants[{i}]";
                    if (ReadParticipant(item, path, arms, sites) is { } p)
                    {
                        if (participants.Find(other => other.Id == p.Id) is not null)
                        {
                            Error($"{path}.id", $"expected a unique code; '{p.Id}' is already used by an earlier participant");
                        }
                        else
                        {
                            participants.Add(p);
                        }
                    }

                    i++;
                }

                _entry = RegistryEntry;
            }

            CheckDeviceOverlaps(participants);
            return _errors.Count == 0 && arms is not null && sites is not null
                ? new ParticipantRegistry(file, arms, sites, participants, schedules)
                : null;
        }

        // Optional, so registries written before outcome schedules existed still load.
        private Dictionary<string, IReadOnlyList<OutcomeTimePoint>> ReadOutcomeSchedules(JsonElement root, List<string>? arms)
        {
            var schedules = new Dictionary<string, IReadOnlyList<OutcomeTimePoint>>(StringComparer.Ordinal);
            const string path = "$.outcomeSchedules";
            if (!Property(root, "$", "outcomeSchedules", required: false, out var element) || !Expect(element, JsonValueKind.Object, path, "an object of arm: [time points]"))
            {
                return schedules;
            }

            foreach (var arm in element.EnumerateObject())
            {
                var armPath = $"{path}.{arm.Name}";
                if (arms is not null && !arms.Contains(arm.Name))
                {
                    Error(armPath, $"expected one of the arms declared at $.arms ({string.Join(", ", arms)}), found '{arm.Name}'");
                    continue;
                }

                var points = ReadArray(element, path, arm.Name, required: true, ReadTimePoint);
                if (points is null)
                {
                    continue;
                }

                for (var i = 0; i < points.Count; i++)
                {
                    if (points[i] is not { } p)
                    {
                        continue;
                    }

                    if (i > 0 && points[i - 1] is { } prev && p.Week <= prev.Week)
                    {
                        Error($"{armPath}[{i}].week", $"expected weeks in increasing order; {armPath}[{i - 1}] is week {prev.Week}, found {p.Week}");
                    }

                    if (points.FindIndex(o => o?.Id == p.Id) < i)
                    {
                        Error($"{armPath}[{i}].id", $"expected each time point once; '{p.Id}' repeats");
                    }

                    CheckInstruments(p, arm.Name, $"{armPath}[{i}]");
                }

                if (points.TrueForAll(p => p is not null))
                {
                    schedules[arm.Name] = points.ConvertAll(p => p!);
                }
            }

            return schedules;
        }

        // The entry of such a problem is the time point (ARM/ID), so the message says which schedule entry is wrong.
        private void CheckInstruments(OutcomeTimePoint point, string arm, string path)
        {
            if (knownInstrumentIds is null)
            {
                return;
            }

            for (var j = 0; j < point.Instruments.Count; j++)
            {
                if (!knownInstrumentIds.Contains(point.Instruments[j]))
                {
                    _entry = $"{arm}/{point.Id}";
                    Error($"{path}.instruments[{j}]",
                        $"expected an instrument of the instruments folder ({string.Join(", ", knownInstrumentIds.Order(StringComparer.Ordinal))}), found '{point.Instruments[j]}'");
                    _entry = RegistryEntry;
                }
            }
        }

        private OutcomeTimePoint? ReadTimePoint(JsonElement element, string path)
        {
            if (!Expect(element, JsonValueKind.Object, path, "an object"))
            {
                return null;
            }

            Known(element, path, "id", "week", "windowBeforeDays", "windowAfterDays", "instruments");
            var id = Property(element, path, "id", required: true, out var idElement) ? Code(idElement, $"{path}.id") : null;
            var week = Integer(element, path, "week", required: true, 0, 520);
            var before = Integer(element, path, "windowBeforeDays", required: true, 0, 365);
            var after = Integer(element, path, "windowAfterDays", required: true, 0, 365);
            var instruments = ReadArray(element, path, "instruments", required: true, (e, p) => Code(e, p));
            if (instruments is { Count: 0 })
            {
                Error($"{path}.instruments", "expected at least one instrument id");
            }

            return id is null || week is null || before is null || after is null || instruments is null || instruments.Exists(i => i is null)
                ? null
                : new OutcomeTimePoint(id, (int)week, (int)before, (int)after, instruments.ConvertAll(i => i!));
        }

        private List<string>? Codes(JsonElement root, string parentPath, string name)
        {
            var path = $"{parentPath}.{name}";
            var items = ReadArray(root, parentPath, name, required: true, (e, p) => Code(e, p));
            if (items is null)
            {
                return null;
            }

            if (items.Count == 0)
            {
                Error(path, "expected at least one entry");
            }

            for (var i = 0; i < items.Count; i++)
            {
                if (items[i] is { } code && items.IndexOf(code) < i)
                {
                    Error($"{path}[{i}]", $"expected each entry once; '{code}' repeats");
                }
            }

            return items.Exists(c => c is null) ? null : items.ConvertAll(c => c!);
        }

        private Participant? ReadParticipant(JsonElement element, string path, List<string>? arms, List<string>? sites)
        {
            if (!Expect(element, JsonValueKind.Object, path, "an object"))
            {
                return null;
            }

            var errorsBefore = _errors.Count;
            string? id = null;
            if (Property(element, path, "id", required: true, out var idElement) && Expect(idElement, JsonValueKind.String, $"{path}.id", "a string"))
            {
                var text = idElement.GetString();
                if (ParticipantCode.IsValid(text, out var problem))
                {
                    id = text;
                    _entry = text;
                }
                else
                {
                    Error($"{path}.id", problem);
                }
            }

            Known(element, path, ParticipantKeys);
            var arm = Member(element, path, "arm", arms, "arms");
            var site = Member(element, path, "site", sites, "sites");
            var (start, end) = ReadEnrolment(element, path);
            var zones = ReadTimeZones(element, path, start);
            var devices = ReadArray(element, path, "devices", required: false, (e, p) => ReadDevice(e, p, start, end)) ?? [];
            var age = Integer(element, path, "ageYears", required: false, MinAgeYears, MaxAgeYears);
            var measured = Number(element, path, "maxHeartRateBpm", required: false, MinMaxHeartRateBpm, MaxMaxHeartRateBpm);
            var resting = Number(element, path, "restingHeartRateBpm", required: true, MinRestingHeartRateBpm, MaxRestingHeartRateBpm);
            if (!element.TryGetProperty("ageYears", out _) && !element.TryGetProperty("maxHeartRateBpm", out _))
            {
                Error($"{path}.ageYears", "expected ageYears (for HRmax = 208 - 0.7 * age) or a measured maxHeartRateBpm; both are missing");
            }

            var max = measured ?? (age is { } a ? Participant.TanakaMaxHeartRateBpm((int)a) : (double?)null);
            if (max is { } m && resting is { } r && m - r < MinReserveBpm)
            {
                var field = measured is null ? "ageYears" : "maxHeartRateBpm";
                Error($"{path}.{field}", string.Create(CultureInfo.InvariantCulture,
                    $"expected HRmax at least {MinReserveBpm} bpm above restingHeartRateBpm ({r}); HRmax is {m:0.#} bpm ({(measured is null ? "from age" : "measured")})"));
            }

            var prescriptions = ReadPrescriptions(element, path, start, end);
            if (_errors.Count > errorsBefore || id is null || arm is null || site is null || start is null || zones is null
                || devices.Exists(d => d is null) || resting is null || max is null || prescriptions is null)
            {
                return null;
            }

            return new Participant(id, arm, site, start.Value, end, zones, devices.ConvertAll(d => d!), (int?)age, measured, resting.Value, prescriptions);
        }

        private string? Member(JsonElement element, string path, string name, List<string>? allowed, string listName)
        {
            var value = Property(element, path, name, required: true, out var e) ? Code(e, $"{path}.{name}") : null;
            if (value is not null && allowed is not null && !allowed.Contains(value))
            {
                Error($"{path}.{name}", $"expected one of the {listName} declared at $.{listName} ({string.Join(", ", allowed)}), found '{value}'");
                return null;
            }

            return value;
        }

        private (DateOnly? Start, DateOnly? End) ReadEnrolment(JsonElement element, string path)
        {
            var ep = $"{path}.enrolment";
            if (!Property(element, path, "enrolment", required: true, out var e) || !Expect(e, JsonValueKind.Object, ep, "an object"))
            {
                return (null, null);
            }

            Known(e, ep, "start", "end");
            var start = Date(e, ep, "start", required: true);
            var end = Date(e, ep, "end", required: false);
            if (start is { } s && end is { } en && en < s)
            {
                Error($"{ep}.end", $"expected a date on or after start ({Iso(s)}), found {Iso(en)}");
            }

            return (start, end);
        }

        private List<TimeZonePeriod>? ReadTimeZones(JsonElement element, string path, DateOnly? start)
        {
            var zp = $"{path}.timeZones";
            var periods = ReadArray(element, path, "timeZones", required: true, ReadTimeZone);
            if (periods is null)
            {
                return null;
            }

            if (periods.Count == 0)
            {
                Error(zp, "expected at least one {from, zone}");
                return null;
            }

            if (periods[0] is { } first && start is { } s && first.From > s)
            {
                Error($"{zp}[0].from", $"expected the first time zone to apply from the enrolment start ({Iso(s)}) or earlier, found {Iso(first.From)}");
            }

            for (var i = 1; i < periods.Count; i++)
            {
                if (periods[i] is { } p && periods[i - 1] is { } prev && p.From <= prev.From)
                {
                    Error($"{zp}[{i}].from", $"expected a date after {zp}[{i - 1}].from ({Iso(prev.From)}), found {Iso(p.From)}");
                }
            }

            return periods.Exists(p => p is null) ? null : periods.ConvertAll(p => p!);
        }

        private TimeZonePeriod? ReadTimeZone(JsonElement element, string path)
        {
            if (!Expect(element, JsonValueKind.Object, path, "an object"))
            {
                return null;
            }

            Known(element, path, "from", "zone");
            var from = Date(element, path, "from", required: true);
            var name = String(element, path, "zone", required: true);
            TimeZoneInfo? zone = null;
            if (name is not null && (!TimeZoneInfo.TryFindSystemTimeZoneById(name, out zone) || !name.Contains('/', StringComparison.Ordinal) && name != "UTC"))
            {
                Error($"{path}.zone", $"expected an IANA time zone such as Europe/Oslo or America/New_York, found '{name}'");
                zone = null;
            }

            return from is null || zone is null ? null : new TimeZonePeriod(from.Value, zone);
        }

        private DeviceBinding? ReadDevice(JsonElement element, string path, DateOnly? enrolmentStart, DateOnly? enrolmentEnd)
        {
            if (!Expect(element, JsonValueKind.Object, path, "an object"))
            {
                return null;
            }

            Known(element, path, "address", "profile", "from", "to");
            var address = String(element, path, "address", required: true) is { } text ? DeviceAddress(text, $"{path}.address") : null;
            var profile = String(element, path, "profile", required: true);
            if (profile is not null && knownProfileIds is not null && !knownProfileIds.Contains(profile))
            {
                Error($"{path}.profile", $"expected a known firmware profile id ({string.Join(", ", knownProfileIds.Order(StringComparer.Ordinal))}), found '{profile}'");
                profile = null;
            }
            else if (profile is not null && !profile.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                Error($"{path}.profile", $"expected a firmware profile id (lower-case letters, digits and '-'), found '{profile}'");
                profile = null;
            }

            var from = Date(element, path, "from", required: false) ?? enrolmentStart;
            var to = Date(element, path, "to", required: false) ?? enrolmentEnd;
            if (from is { } f && enrolmentStart is { } s && f < s)
            {
                Error($"{path}.from", $"expected a date within enrolment (from {Iso(s)}), found {Iso(f)}");
            }

            if (to is { } t && enrolmentEnd is { } e && t > e)
            {
                Error($"{path}.to", $"expected a date within enrolment (until {Iso(e)}), found {Iso(t)}");
            }

            if (from is { } f2 && to is { } t2 && t2 < f2)
            {
                Error($"{path}.to", $"expected a date on or after from ({Iso(f2)}), found {Iso(t2)}");
            }

            return address is null || profile is null || from is null ? null : new DeviceBinding(address, profile, from.Value, to);
        }

        private string? DeviceAddress(string text, string path)
        {
            if (text.StartsWith("virtual:", StringComparison.Ordinal) && text.Length > "virtual:".Length && !text.Any(char.IsWhiteSpace))
            {
                return text;
            }

            var parts = text.Split(':');
            if (parts.Length == 6 && parts.All(p => p.Length == 2 && p.All(char.IsAsciiHexDigit)))
            {
                return text.ToUpperInvariant();
            }

            Error(path, $"expected a Bluetooth address AA:BB:CC:DD:EE:FF or virtual:NAME, found '{text}'");
            return null;
        }

        private List<Prescription>? ReadPrescriptions(JsonElement element, string path, DateOnly? enrolmentStart, DateOnly? enrolmentEnd)
        {
            var pp = $"{path}.prescriptions";
            var items = ReadArray(element, path, "prescriptions", required: true, ReadPrescription);
            if (items is null)
            {
                return null;
            }

            for (var i = 0; i < items.Count; i++)
            {
                if (items[i] is not { } p)
                {
                    continue;
                }

                if (enrolmentStart is { } s && p.From < s)
                {
                    Error($"{pp}[{i}].from", $"expected a date within enrolment (from {Iso(s)}), found {Iso(p.From)}");
                }

                if (enrolmentEnd is { } e && p.To is { } to && to > e)
                {
                    Error($"{pp}[{i}].to", $"expected a date within enrolment (until {Iso(e)}), found {Iso(to)}");
                }

                if (enrolmentEnd is { } e2 && p.From > e2)
                {
                    Error($"{pp}[{i}].from", $"expected a date within enrolment (until {Iso(e2)}), found {Iso(p.From)}");
                }

                if (i > 0 && items[i - 1] is { } prev)
                {
                    if (prev.To is not { } prevTo)
                    {
                        Error($"{pp}[{i - 1}].to", $"expected an end date: {pp}[{i}] follows this prescription");
                    }
                    else if (p.From <= prevTo)
                    {
                        Error($"{pp}[{i}].from", $"expected a date after {pp}[{i - 1}].to ({Iso(prevTo)}), prescriptions must not overlap; found {Iso(p.From)}");
                    }
                }
            }

            return items.Exists(p => p is null) ? null : items.ConvertAll(p => p!);
        }

        private Prescription? ReadPrescription(JsonElement element, string path)
        {
            if (!Expect(element, JsonValueKind.Object, path, "an object"))
            {
                return null;
            }

            Known(element, path, "from", "to", "sessionsPerWeek", "minutesPerSession", "targetZone", "countingClasses");
            var from = Date(element, path, "from", required: true);
            var to = Date(element, path, "to", required: false);
            if (from is { } f && to is { } t && t < f)
            {
                Error($"{path}.to", $"expected a date on or after from ({Iso(f)}), found {Iso(t)}");
            }

            var sessions = Integer(element, path, "sessionsPerWeek", required: true, 1, 14);
            var minutes = Integer(element, path, "minutesPerSession", required: true, 1, 240);
            var zone = Property(element, path, "targetZone", required: true, out var z) ? Zone(z, $"{path}.targetZone") : null;
            var classes = ReadArray(element, path, "countingClasses", required: true, ExerciseClass);
            if (classes is { Count: 0 })
            {
                Error($"{path}.countingClasses", "expected at least one exercise class");
            }

            for (var i = 0; classes is not null && i < classes.Count; i++)
            {
                if (classes[i] is { } c && classes.IndexOf(c) < i)
                {
                    Error($"{path}.countingClasses[{i}]", $"expected each class once; '{c}' repeats");
                }
            }

            if (from is null || sessions is null || minutes is null || zone is null || classes is null || classes.Exists(c => c is null))
            {
                return null;
            }

            return new Prescription(from.Value, to, (int)sessions, (int)minutes, zone.Value, classes.ConvertAll(c => c!));
        }

        private IntensityZone? Zone(JsonElement element, string path)
        {
            var zone = element.ValueKind == JsonValueKind.String ? IntensityZones.Parse(element.GetString()) : null;
            if (zone is null)
            {
                Error(path, $"expected one of \"light\", \"moderate\", \"vigorous\" (ACSM %HRR zones), found {Describe(element)}");
            }

            return zone;
        }

        private string? ExerciseClass(JsonElement element, string path)
        {
            var name = element.ValueKind == JsonValueKind.String ? element.GetString() : null;
            if (name == ExerciseClasses.Rest)
            {
                Error(path, "expected an exercise class; \"rest\" can never count towards a prescription");
                return null;
            }

            if (name is null || !ExerciseClasses.IsKnown(name))
            {
                Error(path, $"expected one of {string.Join(", ", ExerciseClasses.All.Where(c => c != ExerciseClasses.Rest).Select(c => $"\"{c}\""))}, found {Describe(element)}");
                return null;
            }

            return name;
        }

        private string? Code(JsonElement element, string path)
        {
            var text = element.ValueKind == JsonValueKind.String ? element.GetString() : null;
            if (text is { Length: >= 1 and <= 32 } && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return text;
            }

            Error(path, $"expected a short code of 1 to 32 letters, digits, '-' or '_', found {Describe(element)}");
            return null;
        }

        private void CheckDeviceOverlaps(List<Participant> participants)
        {
            var bindings = new List<(Participant Owner, int Index, DateTimeOffset Start, DateTimeOffset End)>();
            foreach (var p in participants)
            {
                for (var i = 0; i < p.Devices.Count; i++)
                {
                    var d = p.Devices[i];
                    var end = d.To is { } to ? p.StartOfDay(to.AddDays(1)) : DateTimeOffset.MaxValue;
                    foreach (var other in bindings)
                    {
                        var od = other.Owner.Devices[other.Index];
                        if (od.Address == d.Address && other.Start < end && p.StartOfDay(d.From) < other.End)
                        {
                            _entry = p.Id;
                            var who = ReferenceEquals(other.Owner, p) ? "another binding of this participant" : $"participant {other.Owner.Id}";
                            Error($"$.participants[{participants.IndexOf(p)}].devices[{i}].address",
                                $"expected a device bound to one participant at a time; {d.Address} is also bound to {who} ({Iso(od.From)} to {(od.To is { } t ? Iso(t) : "open")}) and the dates overlap");
                        }
                    }

                    bindings.Add((p, i, p.StartOfDay(d.From), end));
                }
            }

            _entry = RegistryEntry;
        }

        protected override void Error(string path, string message) => _errors.Add(new RegistryError(file, _entry, path, message));

        protected override string UnknownPropertyMessage(string name, IReadOnlyList<string> names) =>
            PersonalKeys.Contains(name, StringComparer.OrdinalIgnoreCase)
                ? $"personal data such as names, contact details or birth dates must not be stored; remove '{name}' (the registry holds pseudonymous codes only)"
                : $"expected one of {string.Join(", ", names)}; '{name}' is not a known property";

        private static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }
}
