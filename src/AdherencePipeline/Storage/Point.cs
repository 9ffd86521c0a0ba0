namespace AdherencePipeline.Storage;

/// <summary>
/// One InfluxDB point: measurement, tags, typed fields and a nanosecond UTC timestamp.
/// Every name and value is validated when the point is built, so a point that exists can always be
/// written as line protocol. Tags are kept sorted by key, as InfluxDB prefers.
/// </summary>
public sealed class Point
{
    /// <summary>Smallest timestamp InfluxDB accepts, in nanoseconds since the Unix epoch.</summary>
    public const long MinTimestampNs = long.MinValue + 2;

    /// <summary>Largest timestamp InfluxDB accepts, in nanoseconds since the Unix epoch.</summary>
    public const long MaxTimestampNs = long.MaxValue - 1;

    private Point(string measurement, KeyValuePair<string, string>[] tags, KeyValuePair<string, FieldValue>[] fields, long timestampNs)
    {
        Measurement = measurement;
        Tags = tags;
        Fields = fields;
        TimestampNs = timestampNs;
    }

    /// <summary>The measurement name.</summary>
    public string Measurement { get; }

    /// <summary>Tags, sorted by key (ordinal). Tags with empty values are not kept: InfluxDB has no empty tag.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Tags { get; }

    /// <summary>Fields in the order they were added; at least one.</summary>
    public IReadOnlyList<KeyValuePair<string, FieldValue>> Fields { get; }

    /// <summary>Nanoseconds since 1970-01-01T00:00:00Z.</summary>
    public long TimestampNs { get; }

    /// <summary>Starts a point for <paramref name="measurement"/>.</summary>
    public static PointBuilder For(string measurement) => new(measurement);

    /// <summary>Converts a UTC instant to InfluxDB nanoseconds.</summary>
    public static long ToTimestampNs(DateTimeOffset instant) =>
        (instant.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    /// <summary>Converts InfluxDB nanoseconds to a UTC instant (truncated to 100 ns ticks).</summary>
    public static DateTimeOffset FromTimestampNs(long timestampNs) =>
        DateTimeOffset.UnixEpoch.AddTicks(timestampNs / 100);

    /// <summary>The point as one line of line protocol, without the trailing newline.</summary>
    public override string ToString() => LineProtocol.Format(this);

    /// <summary>Collects a point's parts; <see cref="At(long)"/> validates and builds it.</summary>
    public sealed class PointBuilder
    {
        private readonly string _measurement;
        private readonly List<KeyValuePair<string, string>> _tags = [];
        private readonly List<KeyValuePair<string, FieldValue>> _fields = [];

        internal PointBuilder(string measurement)
        {
            LineProtocol.ValidateMeasurement(measurement);
            _measurement = measurement;
        }

        /// <summary>Adds a tag. An empty or null value means "no tag" and is skipped.</summary>
        public PointBuilder Tag(string key, string? value)
        {
            LineProtocol.ValidateKey(key, "tag key");
            if (string.IsNullOrEmpty(value))
            {
                return this;
            }

            LineProtocol.ValidateTagValue(key, value);
            foreach (var tag in _tags)
            {
                if (string.Equals(tag.Key, key, StringComparison.Ordinal))
                {
                    throw new ArgumentException($"Tag '{key}' is set twice on measurement '{_measurement}'.", nameof(key));
                }
            }

            _tags.Add(new(key, value));
            return this;
        }

        /// <summary>Adds a field.</summary>
        public PointBuilder Field(string key, FieldValue value)
        {
            LineProtocol.ValidateKey(key, "field key");
            foreach (var field in _fields)
            {
                if (string.Equals(field.Key, key, StringComparison.Ordinal))
                {
                    throw new ArgumentException($"Field '{key}' is set twice on measurement '{_measurement}'.", nameof(key));
                }
            }

            _fields.Add(new(key, value));
            return this;
        }

        /// <summary>Builds the point with a timestamp in nanoseconds since the Unix epoch.</summary>
        public Point At(long timestampNs)
        {
            if (timestampNs is < MinTimestampNs or > MaxTimestampNs)
            {
                throw new ArgumentOutOfRangeException(nameof(timestampNs), timestampNs, "Timestamp is outside the range InfluxDB accepts.");
            }

            if (_fields.Count == 0)
            {
                throw new InvalidOperationException($"A point needs at least one field (measurement '{_measurement}').");
            }

            var tags = _tags.ToArray();
            Array.Sort(tags, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            foreach (var tag in tags)
            {
                foreach (var field in _fields)
                {
                    if (string.Equals(tag.Key, field.Key, StringComparison.Ordinal))
                    {
                        throw new InvalidOperationException($"'{tag.Key}' is both a tag and a field on measurement '{_measurement}'.");
                    }
                }
            }

            return new Point(_measurement, tags, _fields.ToArray(), timestampNs);
        }

        /// <summary>Builds the point at a UTC instant.</summary>
        public Point At(DateTimeOffset instant) => At(ToTimestampNs(instant));
    }
}
