using System.Globalization;

namespace AdherencePipeline.Outcomes;

/// <summary>One score of a completed questionnaire: the total or a sub-scale.</summary>
/// <param name="Id"><c>total</c> or the sub-scale's id.</param>
/// <param name="Value">The score, or <c>null</c> when too few items were answered (the missing-item rule).</param>
/// <param name="Transformed">The score on the instrument's 0–100 scale, when it defines one.</param>
/// <param name="Answered">Items answered of those the score combines.</param>
public sealed record OutcomeScore(string Id, double? Value, double? Transformed, int Answered);

/// <summary>One invalid answer: the item it belongs to and what was expected.</summary>
/// <param name="Item">The item id as given (possibly one the instrument does not have).</param>
/// <param name="Message">The problem, naming the instrument and item, e.g. <c>peg-3.pain: expected an integer from 0 to 10, found 11</c>.</param>
public sealed record AnswerError(string Item, string Message);

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
        var created = TryCreate(instrument, answers, [], out IReadOnlyList<AnswerError> problems);
        errors = [.. problems.Select(p => p.Message)];
        return created;
    }

    /// <summary>
    /// Parses answers typed into a form or sent as JSON, one text per item id (<c>null</c>, empty or
    /// <c>-</c> for an unanswered item), and validates them item by item; <c>null</c> and every problem,
    /// each tied to its item, when anything is wrong.
    /// </summary>
    public static InstrumentAnswers? TryParseItems(Instrument instrument, IReadOnlyDictionary<string, string?> answers, out IReadOnlyList<AnswerError> errors)
    {
        ArgumentNullException.ThrowIfNull(instrument);
        ArgumentNullException.ThrowIfNull(answers);
        var values = new Dictionary<string, int?>(StringComparer.Ordinal);
        var problems = new List<AnswerError>();
        foreach (var (id, text) in answers)
        {
            var raw = text?.Trim();
            if (raw is null or "" or "-")
            {
                values[id] = null;
            }
            else if (int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                values[id] = value;
            }
            else if (instrument.Item(id) is { } item)
            {
                problems.Add(new AnswerError(id, string.Create(CultureInfo.InvariantCulture, $"{instrument.Id}.{id}: expected an integer from {item.Min} to {item.Max}, found '{raw}'")));
            }
            else
            {
                values[id] = null;
            }
        }

        return TryCreate(instrument, values, problems, out errors);
    }

    private static InstrumentAnswers? TryCreate(Instrument instrument, IReadOnlyDictionary<string, int?> answers, List<AnswerError> problems, out IReadOnlyList<AnswerError> errors)
    {
        ArgumentNullException.ThrowIfNull(instrument);
        ArgumentNullException.ThrowIfNull(answers);
        foreach (var id in answers.Keys)
        {
            if (instrument.Item(id) is null)
            {
                problems.Add(new AnswerError(id, $"{instrument.Id}: '{id}' is not an item; the items are {string.Join(", ", instrument.Items.Select(i => i.Id))}"));
            }
        }

        var values = new Dictionary<string, int?>(StringComparer.Ordinal);
        foreach (var item in instrument.Items)
        {
            var value = answers.TryGetValue(item.Id, out var v) ? v : null;
            if (value is { } a && (a < item.Min || a > item.Max))
            {
                problems.Add(new AnswerError(item.Id, string.Create(CultureInfo.InvariantCulture, $"{instrument.Id}.{item.Id}: expected an integer from {item.Min} to {item.Max}, found {a}")));
            }

            values[item.Id] = value;
        }

        // Problems found while parsing come first in the list but belong in item order with the rest.
        errors = [.. problems.OrderBy(p => instrument.Items.ToList().FindIndex(i => i.Id == p.Item) is var i and >= 0 ? i : int.MaxValue)];
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
