using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using AdherencePipeline.Json;

namespace AdherencePipeline.Outcomes;

/// <summary>One problem in an instrument file: the file, the item (or <c>instrument</c>), the JSON path and what was expected.</summary>
/// <param name="File">The instrument file.</param>
/// <param name="Item">The item's id, <c>items[INDEX]</c> when the id itself is unusable, or <c>instrument</c> for other fields.</param>
/// <param name="JsonPath">The field, e.g. <c>$.items[2].response.max</c>.</param>
/// <param name="Message">What was expected and what was found.</param>
public sealed record InstrumentError(string File, string Item, string JsonPath, string Message)
{
    /// <summary><c>file: item: $.path: message</c>.</summary>
    public override string ToString() => $"{File}: {Item}: {JsonPath}: {Message}";
}

/// <summary>An instrument file failed validation; <see cref="Errors"/> lists every problem found.</summary>
public sealed class InstrumentValidationException : Exception
{
    /// <summary>Creates the exception from the problems found.</summary>
    public InstrumentValidationException(IReadOnlyList<InstrumentError> errors)
        : base(string.Join(Environment.NewLine, errors ?? []))
    {
        Errors = errors ?? [];
    }

    /// <summary>Creates an exception without details.</summary>
    public InstrumentValidationException()
        : this([])
    {
    }

    /// <summary>Creates an exception with a message only.</summary>
    public InstrumentValidationException(string message)
        : base(message)
    {
        Errors = [];
    }

    /// <summary>Creates an exception with a message and cause.</summary>
    public InstrumentValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    /// <summary>Every problem found, in file order.</summary>
    public IReadOnlyList<InstrumentError> Errors { get; }
}

/// <summary>
/// Loads outcome instruments (<c>instruments/*.json</c>) and validates them field by field, following
/// <c>instruments/instrument.schema.json</c>, then across fields (scores name existing items, a
/// missing-item rule no larger than the items scored, transforms with distinct ends). Every problem
/// names the file, the item and the JSON path.
/// </summary>
public static class InstrumentLoader
{
    /// <summary>The default folder name.</summary>
    public const string DefaultDirectoryName = "instruments";

    /// <summary>The schema file in that folder; it is not an instrument.</summary>
    public const string SchemaFileName = "instrument.schema.json";

    /// <summary>Loads one file; throws <see cref="InstrumentValidationException"/> listing every problem.</summary>
    public static Instrument Load(string path)
    {
        var instrument = TryLoad(path, out var errors);
        return instrument ?? throw new InstrumentValidationException(errors);
    }

    /// <summary>Loads one file; returns <c>null</c> and the problems when it is not valid.</summary>
    public static Instrument? TryLoad(string path, out IReadOnlyList<InstrumentError> errors)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors = [new InstrumentError(path, Reader.InstrumentEntry, "$", $"cannot read the file: {ex.Message}")];
            return null;
        }

        return TryParse(text, path, out errors);
    }

    /// <summary>Parses instrument JSON; <paramref name="sourceName"/> names it in errors and must be <c>ID.json</c>.</summary>
    public static Instrument? TryParse(string json, string sourceName, out IReadOnlyList<InstrumentError> errors)
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
            errors = [new InstrumentError(sourceName, Reader.InstrumentEntry, ex.Path is { Length: > 0 } p ? p : "$", $"expected valid JSON: {ex.Message}")];
            return null;
        }

        using (document)
        {
            var reader = new Reader(sourceName);
            var instrument = reader.ReadInstrument(document.RootElement);
            errors = reader.Errors;
            return errors.Count == 0 ? instrument : null;
        }
    }

    /// <summary>
    /// Loads every instrument in a folder (the schema file excepted). Valid instruments are returned
    /// even when others fail, so one bad file does not stop the rest.
    /// </summary>
    public static IReadOnlyList<Instrument> LoadDirectory(string directory, out IReadOnlyList<InstrumentError> errors)
    {
        var all = new List<InstrumentError>();
        var instruments = new List<Instrument>();
        if (!Directory.Exists(directory))
        {
            errors = [new InstrumentError(directory, Reader.InstrumentEntry, "$", "expected a folder of instruments; it does not exist")];
            return instruments;
        }

        foreach (var file in Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(file) == SchemaFileName)
            {
                continue;
            }

            var instrument = TryLoad(file, out var fileErrors);
            all.AddRange(fileErrors);
            if (instrument is not null)
            {
                instruments.Add(instrument);
            }
        }

        errors = all;
        return instruments;
    }

    private sealed class Reader(string file) : JsonFieldReader
    {
        public const string InstrumentEntry = "instrument";

        // A guard against a pathological pattern, not a speed limit: a busy machine can pause a thread for
        // longer than 100 ms, and a valid file must not be refused for that.
        private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(2);
        private static readonly string[] Domains = ["pain", "physical_function", "quality_of_life"];
        private static readonly string[] Methods = ["sum", "mean"];
        private static readonly string[] Directions = ["decrease", "increase"];

        private readonly List<InstrumentError> _errors = [];
        private string _entry = InstrumentEntry;

        public IReadOnlyList<InstrumentError> Errors => _errors;

        public Instrument? ReadInstrument(JsonElement root)
        {
            if (!Expect(root, JsonValueKind.Object, "$", "an object"))
            {
                return null;
            }

            Known(root, "$", "$schema", "id", "name", "domain", "recallPeriod", "instructions", "response", "items", "scoring", "responder", "source", "termsOfUse");
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

            var name = String(root, "$", "name", required: true);
            var domain = Enum(root, "$", "domain", required: true, Domains);
            var recall = String(root, "$", "recallPeriod", required: true);
            var instructions = String(root, "$", "instructions", required: true);
            var source = String(root, "$", "source", required: true);
            var terms = String(root, "$", "termsOfUse", required: true);
            var defaultResponse = Property(root, "$", "response", required: false, out var r) ? ReadResponse(r, "$.response") : null;
            var items = ReadArray(root, "$", "items", required: true, (e, p) => ReadItem(e, p, defaultResponse));
            _entry = InstrumentEntry;
            if (items is { Count: 0 })
            {
                Error("$.items", "expected at least one item");
            }

            // Scores refer to the ids written in the file, so a mistake inside an item is not reported again by every score that uses it.
            var itemIds = new List<string>();
            for (var i = 0; items is not null && i < items.Count; i++)
            {
                var itemId = root.GetProperty("items")[i] is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String
                    ? idElement.GetString()!
                    : null;
                if (itemId is null)
                {
                    continue;
                }

                if (itemIds.Contains(itemId))
                {
                    Error($"$.items[{i}].id", $"expected a unique id; '{itemId}' is already used by an earlier item");
                }

                itemIds.Add(itemId);
            }

            ScoreRule? total = null;
            List<ScoreRule?>? subscales = null;
            if (Property(root, "$", "scoring", required: true, out var scoring) && Expect(scoring, JsonValueKind.Object, "$.scoring", "an object"))
            {
                Known(scoring, "$.scoring", "total", "subscales");
                if (Property(scoring, "$.scoring", "total", required: true, out var t))
                {
                    total = ReadScore(t, "$.scoring.total", "total", itemIds, itemsOptional: true);
                }

                subscales = ReadArray(scoring, "$.scoring", "subscales", required: false, (e, p) => ReadSubscale(e, p, itemIds)) ?? [];
                var ids = new HashSet<string>(StringComparer.Ordinal);
                for (var i = 0; i < subscales.Count; i++)
                {
                    if (subscales[i] is { } s && !ids.Add(s.Id))
                    {
                        Error($"$.scoring.subscales[{i}].id", $"expected a unique id; '{s.Id}' is already used");
                    }
                }
            }

            var responder = Property(root, "$", "responder", required: false, out var re) ? ReadResponder(re, "$.responder") : null;
            if (_errors.Count > 0 || id is null || name is null || domain is null || recall is null || instructions is null || source is null || terms is null
                || items is null || total is null || subscales is null)
            {
                return null;
            }

            // A total without an item list combines every item.
            if (total.Items.Count == 0)
            {
                total = total with { Items = itemIds };
                if (total.MinAnswered > itemIds.Count)
                {
                    Error("$.scoring.total.minAnswered", $"expected at most {itemIds.Count} (the number of items), found {total.MinAnswered}");
                    return null;
                }
            }

            var parsedDomain = domain switch { "pain" => OutcomeDomain.Pain, "physical_function" => OutcomeDomain.PhysicalFunction, _ => OutcomeDomain.QualityOfLife };
            return new Instrument(id, name, parsedDomain, recall, instructions, items.ConvertAll(i => i!), total, subscales.ConvertAll(s => s!), responder, source, terms, file);
        }

        private (int Min, int Max, Dictionary<int, string> Anchors)? ReadResponse(JsonElement element, string path)
        {
            if (!Expect(element, JsonValueKind.Object, path, "an object"))
            {
                return null;
            }

            Known(element, path, "min", "max", "anchors");
            var min = Integer(element, path, "min", required: true, -1000, 1000);
            var max = Integer(element, path, "max", required: true, -1000, 1000);
            if (min is { } lo && max is { } hi && hi <= lo)
            {
                Error($"{path}.max", $"expected a value above min ({lo}), found {hi}");
                return null;
            }

            var anchors = new Dictionary<int, string>();
            if (Property(element, path, "anchors", required: false, out var a) && Expect(a, JsonValueKind.Object, $"{path}.anchors", "an object"))
            {
                foreach (var property in a.EnumerateObject())
                {
                    var ap = $"{path}.anchors.{property.Name}";
                    if (!int.TryParse(property.Name, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
                    {
                        Error(ap, $"expected an answer from {min} to {max} as the key, found '{property.Name}'");
                    }
                    else if (Expect(property.Value, JsonValueKind.String, ap, "a string"))
                    {
                        anchors[value] = property.Value.GetString()!;
                    }
                }
            }

            return min is null || max is null ? null : ((int)min, (int)max, anchors);
        }

        private InstrumentItem? ReadItem(JsonElement element, string path, (int Min, int Max, Dictionary<int, string> Anchors)? defaultResponse)
        {
            _entry = path[2..];
            if (!Expect(element, JsonValueKind.Object, path, "an object"))
            {
                return null;
            }

            var errorsBefore = _errors.Count;
            var id = String(element, path, "id", required: true);
            if (id is not null)
            {
                if (Regex.IsMatch(id, "^[a-z][a-z0-9_]*$", RegexOptions.None, RegexTimeout))
                {
                    _entry = id;
                }
                else
                {
                    Error($"{path}.id", $"expected lower-case letters, digits and '_', starting with a letter, found '{id}'");
                }
            }

            Known(element, path, "id", "text", "response", "reversed", "namedByRespondent");
            var text = String(element, path, "text", required: true);
            var response = Property(element, path, "response", required: defaultResponse is null, out var r) ? ReadResponse(r, $"{path}.response") : defaultResponse;
            var reversed = Boolean(element, path, "reversed", required: false) ?? false;
            var named = Boolean(element, path, "namedByRespondent", required: false) ?? false;
            return _errors.Count > errorsBefore || id is null || text is null || response is not { } resp
                ? null
                : new InstrumentItem(id, text, resp.Min, resp.Max, reversed, resp.Anchors, named);
        }

        private ScoreRule? ReadSubscale(JsonElement element, string path, List<string> itemIds)
        {
            var id = Property(element, path, "id", required: true, out var idElement) && Expect(idElement, JsonValueKind.String, $"{path}.id", "a string") ? idElement.GetString() : null;
            if (id is not null && (!Regex.IsMatch(id, "^[a-z][a-z0-9_]*$", RegexOptions.None, RegexTimeout) || id == "total"))
            {
                Error($"{path}.id", $"expected lower-case letters, digits and '_' (not 'total'), found '{id}'");
                id = null;
            }

            var rule = ReadScore(element, path, id ?? "", itemIds, itemsOptional: false);
            return id is null ? null : rule;
        }

        private ScoreRule? ReadScore(JsonElement element, string path, string id, List<string> itemIds, bool itemsOptional)
        {
            if (!Expect(element, JsonValueKind.Object, path, "an object"))
            {
                return null;
            }

            var errorsBefore = _errors.Count;
            Known(element, path, itemsOptional ? ["method", "items", "minAnswered", "transform"] : ["id", "method", "items", "minAnswered", "transform"]);
            var method = Enum(element, path, "method", required: true, Methods);
            var items = ReadArray(element, path, "items", required: !itemsOptional, (e, p) =>
            {
                if (!Expect(e, JsonValueKind.String, p, "an item id"))
                {
                    return null;
                }

                var itemId = e.GetString()!;
                if (!itemIds.Contains(itemId))
                {
                    Error(p, $"expected the id of an item of this instrument ({string.Join(", ", itemIds)}), found '{itemId}'");
                    return null;
                }

                return itemId;
            });
            if (items is { Count: 0 })
            {
                Error($"{path}.items", "expected at least one item id");
            }

            var count = items?.Count ?? itemIds.Count;
            var minAnswered = Integer(element, path, "minAnswered", required: true, 1, Math.Max(1, count));
            ScoreTransform? transform = null;
            if (Property(element, path, "transform", required: false, out var t) && Expect(t, JsonValueKind.Object, $"{path}.transform", "an object"))
            {
                Known(t, $"{path}.transform", "from", "to");
                var from = Pair(t, $"{path}.transform", "from");
                var to = Pair(t, $"{path}.transform", "to");
                if (from is { } f && to is { } tt)
                {
                    transform = new ScoreTransform(f.A, f.B, tt.A, tt.B);
                }
            }

            return _errors.Count > errorsBefore || method is null || minAnswered is null
                ? null
                : new ScoreRule(id, items?.ConvertAll(i => i!) ?? [], method == "sum" ? ScoreMethod.Sum : ScoreMethod.Mean, (int)minAnswered, transform);
        }

        private (double A, double B)? Pair(JsonElement parent, string parentPath, string name)
        {
            var path = $"{parentPath}.{name}";
            if (!Property(parent, parentPath, name, required: true, out var e) || !Expect(e, JsonValueKind.Array, path, "an array [low, high]"))
            {
                return null;
            }

            var values = e.EnumerateArray().ToList();
            if (values.Count != 2 || !values.TrueForAll(v => v.ValueKind == JsonValueKind.Number && double.IsFinite(v.GetDouble())) || values[0].GetDouble() >= values[1].GetDouble())
            {
                Error(path, "expected two finite numbers [low, high] with low < high");
                return null;
            }

            return (values[0].GetDouble(), values[1].GetDouble());
        }

        private ResponderRule? ReadResponder(JsonElement element, string path)
        {
            if (!Expect(element, JsonValueKind.Object, path, "an object"))
            {
                return null;
            }

            Known(element, path, "direction", "relativeChange", "absoluteChange", "source");
            var direction = Enum(element, path, "direction", required: true, Directions);
            var relative = Number(element, path, "relativeChange", required: false, 0.01, 1);
            var absolute = Number(element, path, "absoluteChange", required: false, 0.001, 1000);
            var source = String(element, path, "source", required: true);
            var hasRelative = element.TryGetProperty("relativeChange", out _);
            var hasAbsolute = element.TryGetProperty("absoluteChange", out _);
            if (!hasRelative && !hasAbsolute)
            {
                Error($"{path}.relativeChange", "expected relativeChange or absoluteChange; both are missing");
            }
            else if (hasRelative && hasAbsolute)
            {
                Error($"{path}.absoluteChange", "expected relativeChange or absoluteChange, not both");
            }

            return direction is null || source is null || (relative is null && absolute is null)
                ? null
                : new ResponderRule(direction == "decrease" ? ImprovementDirection.Decrease : ImprovementDirection.Increase, relative, absolute, source);
        }

        protected override void Error(string path, string message) => _errors.Add(new InstrumentError(file, _entry, path, message));
    }
}
