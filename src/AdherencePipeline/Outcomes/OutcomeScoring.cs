using System.Globalization;

namespace AdherencePipeline.Outcomes;

/// <summary>One score of a completed questionnaire: the total or a sub-scale.</summary>
/// <param name="Id"><c>total</c> or the sub-scale's id.</param>
/// <param name="Value">The score, or <c>null</c> when too few items were answered (the missing-item rule).</param>
/// <param name="Transformed">The score on the instrument's 0–100 scale, when it defines one.</param>
/// <param name="Answered">Items answered of those the score combines.</param>
public sealed record OutcomeScore(string Id, double? Value, double? Transformed, int Answered);

/// <summary>
/// Validated answers to one instrument: every answered item exists and lies in its range; an
/// unanswered item is <c>null</c>. Out-of-range answers are rejected, never clamped.
/// </summary>
public sealed class InstrumentAnswers
{
    private readonly Dictionary<string, int?> _answers;

    private InstrumentAnswers(Instrument instrument, Dictionary<string, int?> answers)
    {
        Instrument = instrument;
        _answers = answers;
    }

    /// <summary>The instrument answered.</summary>
    public Instrument Instrument { get; }

    /// <summary>The answer to an item, <c>null</c> when unanswered.</summary>
    public int? this[string itemId] => _answers.TryGetValue(itemId, out var v) ? v : throw new KeyNotFoundException($"{Instrument.Id} has no item '{itemId}'");

    /// <summary>Answers in item order (<c>null</c> when unanswered).</summary>
    public IEnumerable<(InstrumentItem Item, int? Answer)> Items => Instrument.Items.Select(i => (i, _answers[i.Id]));

    /// <summary>
    /// Validates answers item by item; <c>null</c> and every problem (naming the instrument and item) when
    /// any is invalid. Items not in <paramref name="answers"/> are unanswered.
    /// </summary>
    public static InstrumentAnswers? TryCreate(Instrument instrument, IReadOnlyDictionary<string, int?> answers, out IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(instrument);
        ArgumentNullException.ThrowIfNull(answers);
        var problems = new List<string>();
        foreach (var id in answers.Keys)
        {
            if (instrument.Item(id) is null)
            {
                problems.Add($"{instrument.Id}: '{id}' is not an item; the items are {string.Join(", ", instrument.Items.Select(i => i.Id))}");
            }
        }

        var values = new Dictionary<string, int?>(StringComparer.Ordinal);
        foreach (var item in instrument.Items)
        {
            var value = answers.TryGetValue(item.Id, out var v) ? v : null;
            if (value is { } a && (a < item.Min || a > item.Max))
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{instrument.Id}.{item.Id}: expected an integer from {item.Min} to {item.Max}, found {a}"));
            }

            values[item.Id] = value;
        }

        errors = problems;
        return problems.Count == 0 ? new InstrumentAnswers(instrument, values) : null;
    }

    /// <summary>
    /// Parses staff entry <c>item=value,item=value</c> (an empty value or <c>-</c> for an unanswered item)
    /// and validates it; <c>null</c> and every problem when anything is wrong.
    /// </summary>
    public static InstrumentAnswers? TryParse(Instrument instrument, string? text, out IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(instrument);
        var problems = new List<string>();
        var answers = new Dictionary<string, int?>(StringComparer.Ordinal);
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                problems.Add($"{instrument.Id}: expected item=value, found '{part}'");
                continue;
            }

            var id = part[..eq].Trim();
            var raw = part[(eq + 1)..].Trim();
            if (answers.ContainsKey(id))
            {
                problems.Add($"{instrument.Id}.{id}: answered twice");
            }
            else if (raw is "" or "-")
            {
                answers[id] = null;
            }
            else if (int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                answers[id] = value;
            }
            else
            {
                var item = instrument.Item(id);
                problems.Add(item is null
                    ? $"{instrument.Id}: '{id}' is not an item; the items are {string.Join(", ", instrument.Items.Select(i => i.Id))}"
                    : string.Create(CultureInfo.InvariantCulture, $"{instrument.Id}.{id}: expected an integer from {item.Min} to {item.Max}, found '{raw}'"));
            }
        }

        if (problems.Count > 0)
        {
            errors = problems;
            return null;
        }

        return TryCreate(instrument, answers, out errors);
    }

    /// <summary>The total and every sub-scale, in that order.</summary>
    public IReadOnlyList<OutcomeScore> Score() =>
        [Score(Instrument.Total), .. Instrument.Subscales.Select(Score)];

    /// <summary>
    /// One score: reversed items are turned round (min + max − answer); with fewer answered items than
    /// the rule's minimum the score is missing; a sum with some items missing is prorated (mean of the
    /// answered × items in the score), so it stays on the scale of a complete sum.
    /// </summary>
    public OutcomeScore Score(ScoreRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var total = 0.0;
        var answered = 0;
        foreach (var id in rule.Items)
        {
            if (_answers[id] is { } a)
            {
                var item = Instrument.Item(id)!;
                total += item.Reversed ? item.Min + item.Max - a : a;
                answered++;
            }
        }

        if (answered < rule.MinAnswered)
        {
            return new OutcomeScore(rule.Id, null, null, answered);
        }

        var mean = total / answered;
        var value = rule.Method == ScoreMethod.Mean ? mean : answered == rule.Items.Count ? total : mean * rule.Items.Count;
        return new OutcomeScore(rule.Id, value, rule.Transform?.Apply(value), answered);
    }
}
