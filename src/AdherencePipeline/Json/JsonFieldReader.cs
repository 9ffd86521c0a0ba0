using System.Globalization;
using System.Text.Json;

namespace AdherencePipeline.Json;

/// <summary>
/// The field-by-field checks shared by the loaders of hand-written JSON files (firmware profiles, the
/// participant registry, outcome instruments): each check reports a problem with its JSON path and
/// carries on, so one run lists every mistake in a file instead of stopping at the first.
/// </summary>
internal abstract class JsonFieldReader
{
    /// <summary>Records one problem at <paramref name="path"/>.</summary>
    protected abstract void Error(string path, string message);

    /// <summary>The message for a property not in the list; a loader may explain some names better (e.g. personal data).</summary>
    protected virtual string UnknownPropertyMessage(string name, IReadOnlyList<string> names)
    {
        var expected = names.Count == 0 ? "no properties" : "one of " + string.Join(", ", names);
        return $"expected {expected}; '{name}' is not a known property";
    }

    protected List<T?>? ReadArray<T>(JsonElement parent, string parentPath, string name, bool required, Func<JsonElement, string, T?> read)
    {
        var path = $"{parentPath}.{name}";
        if (!Property(parent, parentPath, name, required, out var element) || !Expect(element, JsonValueKind.Array, path, "an array"))
        {
            return null;
        }

        var list = new List<T?>();
        var i = 0;
        foreach (var item in element.EnumerateArray())
        {
            list.Add(read(item, $"{path}[{i++}]"));
        }

        return list;
    }

    protected bool Property(JsonElement parent, string parentPath, string name, bool required, out JsonElement element)
    {
        if (parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out element))
        {
            return true;
        }

        element = default;
        if (required)
        {
            Error($"{parentPath}.{name}", "expected this required property; it is missing");
        }

        return false;
    }

    /// <summary>Unknown properties are errors, so a misspelt key cannot be silently ignored.</summary>
    protected void Known(JsonElement element, string path, params string[] names)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (!names.Contains(property.Name))
            {
                Error($"{path}.{property.Name}", UnknownPropertyMessage(property.Name, names));
            }
        }
    }

    protected bool Expect(JsonElement element, JsonValueKind kind, string path, string description)
    {
        if (element.ValueKind == kind)
        {
            return true;
        }

        Error(path, $"expected {description}, found {Describe(element)}");
        return false;
    }

    protected string? String(JsonElement parent, string parentPath, string name, bool required)
    {
        if (!Property(parent, parentPath, name, required, out var element))
        {
            return null;
        }

        var path = $"{parentPath}.{name}";
        if (!Expect(element, JsonValueKind.String, path, "a string"))
        {
            return null;
        }

        var value = element.GetString();
        if (string.IsNullOrWhiteSpace(value))
        {
            Error(path, "expected a non-empty string");
            return null;
        }

        return value;
    }

    protected string? Enum(JsonElement parent, string parentPath, string name, bool required, IReadOnlyList<string> allowed) =>
        Property(parent, parentPath, name, required, out var element) ? Enum(element, $"{parentPath}.{name}", allowed) : null;

    protected string? Enum(JsonElement element, string path, IReadOnlyList<string> allowed)
    {
        if (!Expect(element, JsonValueKind.String, path, "one of " + string.Join(", ", allowed.Select(a => $"\"{a}\""))))
        {
            return null;
        }

        var value = element.GetString()!;
        if (!allowed.Contains(value))
        {
            Error(path, $"expected one of {string.Join(", ", allowed.Select(a => $"\"{a}\""))}, found \"{value}\"");
            return null;
        }

        return value;
    }

    protected long? Integer(JsonElement parent, string parentPath, string name, bool required, long min, long max) =>
        Property(parent, parentPath, name, required, out var element) ? Integer(element, $"{parentPath}.{name}", min, max) : null;

    protected long? Integer(JsonElement element, string path, long min, long max)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var value))
        {
            Error(path, $"expected an integer from {min} to {max}, found {Describe(element)}");
            return null;
        }

        if (value < min || value > max)
        {
            Error(path, $"expected an integer from {min} to {max}, found {value}");
            return null;
        }

        return value;
    }

    protected double? Number(JsonElement parent, string parentPath, string name, bool required, double min, double max)
    {
        if (!Property(parent, parentPath, name, required, out var element))
        {
            return null;
        }

        var path = $"{parentPath}.{name}";
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetDouble(out var value) || !double.IsFinite(value) || value < min || value > max)
        {
            Error(path, string.Create(CultureInfo.InvariantCulture, $"expected a number from {min} to {max}, found {Describe(element)}"));
            return null;
        }

        return value;
    }

    protected bool? Boolean(JsonElement parent, string parentPath, string name, bool required)
    {
        if (!Property(parent, parentPath, name, required, out var element))
        {
            return null;
        }

        if (element.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return element.GetBoolean();
        }

        Error($"{parentPath}.{name}", $"expected true or false, found {Describe(element)}");
        return null;
    }

    protected DateOnly? Date(JsonElement parent, string parentPath, string name, bool required)
    {
        if (!Property(parent, parentPath, name, required, out var element))
        {
            return null;
        }

        if (element.ValueKind == JsonValueKind.String
            && DateOnly.TryParseExact(element.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        Error($"{parentPath}.{name}", $"expected a date YYYY-MM-DD, found {Describe(element)}");
        return null;
    }

    protected static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{element.GetString()}\"",
        JsonValueKind.Number => $"the number {element.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {element.GetRawText()}",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "nothing",
    };
}
