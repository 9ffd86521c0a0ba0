namespace AdherencePipeline.Outcomes;

/// <summary>The trial outcome domain an instrument measures.</summary>
public enum OutcomeDomain
{
    /// <summary>Pain intensity and interference.</summary>
    Pain,

    /// <summary>Physical function.</summary>
    PhysicalFunction,

    /// <summary>Quality of life and well-being.</summary>
    QualityOfLife,
}

/// <summary>How item values are combined into a score.</summary>
public enum ScoreMethod
{
    /// <summary>The sum of the items; with missing items allowed, prorated (mean of the answered × item count).</summary>
    Sum,

    /// <summary>The mean of the answered items.</summary>
    Mean,
}

/// <summary>Which way an improvement goes on a score.</summary>
public enum ImprovementDirection
{
    /// <summary>Lower is better (pain).</summary>
    Decrease,

    /// <summary>Higher is better (function, well-being).</summary>
    Increase,
}

/// <summary>One question of an instrument, answered with an integer from <see cref="Min"/> to <see cref="Max"/>.</summary>
/// <param name="Id">The item's id, unique in the instrument (letters, digits, '_').</param>
/// <param name="Text">The question as shown, where the instrument's terms allow it to be reproduced.</param>
/// <param name="Min">Lowest answer.</param>
/// <param name="Max">Highest answer.</param>
/// <param name="Reversed">Scored as <c>Min + Max − answer</c>.</param>
/// <param name="Anchors">Labels of some answers, e.g. 0 = "No pain".</param>
/// <param name="NamedByRespondent">
/// The respondent names what the item rates (PSFS: an activity of their own). Forms ask for the name
/// beside the rating; the name is not an answer and is not stored with the scores.
/// </param>
public sealed record InstrumentItem(string Id, string Text, int Min, int Max, bool Reversed, IReadOnlyDictionary<int, string> Anchors, bool NamedByRespondent = false);

/// <summary>A linear rescaling of a raw score, e.g. WHO-5's 0–25 to 0–100.</summary>
/// <param name="FromMin">Raw score that maps to <paramref name="ToMin"/>.</param>
/// <param name="FromMax">Raw score that maps to <paramref name="ToMax"/>.</param>
/// <param name="ToMin">Lower end of the transformed scale.</param>
/// <param name="ToMax">Upper end of the transformed scale.</param>
public sealed record ScoreTransform(double FromMin, double FromMax, double ToMin, double ToMax)
{
    /// <summary>The transformed value of a raw score.</summary>
    public double Apply(double raw) => ToMin + (raw - FromMin) * (ToMax - ToMin) / (FromMax - FromMin);
}

/// <summary>A set of items scored together: the total or a sub-scale.</summary>
/// <param name="Id">The score's id: <c>total</c>, or the sub-scale's id.</param>
/// <param name="Items">The ids of the items it combines.</param>
/// <param name="Method">Sum or mean.</param>
/// <param name="MinAnswered">The missing-item rule: fewer answered items than this and the score is missing.</param>
/// <param name="Transform">An optional rescaling to 0–100 defined by the instrument.</param>
public sealed record ScoreRule(string Id, IReadOnlyList<string> Items, ScoreMethod Method, int MinAnswered, ScoreTransform? Transform);

/// <summary>What counts as a responder: a change from baseline of at least this much, in the better direction.</summary>
/// <param name="Direction">Which way is better.</param>
/// <param name="RelativeChange">Fraction of the baseline score (0.3 = 30 %), or <c>null</c>.</param>
/// <param name="AbsoluteChange">Points on the total (transformed when the instrument has a transform), or <c>null</c>.</param>
/// <param name="Source">Where the threshold comes from.</param>
public sealed record ResponderRule(ImprovementDirection Direction, double? RelativeChange, double? AbsoluteChange, string Source);

/// <summary>
/// An outcome questionnaire read from a file in <c>instruments/</c> by <see cref="InstrumentLoader"/>:
/// items, response ranges, recall period, scoring, responder threshold, source and terms of use.
/// </summary>
public sealed record Instrument
{
    internal Instrument(string id, string name, OutcomeDomain domain, string recallPeriod, string instructions, IReadOnlyList<InstrumentItem> items,
        ScoreRule total, IReadOnlyList<ScoreRule> subscales, ResponderRule? responder, string source, string termsOfUse, string sourcePath)
    {
        Id = id;
        Name = name;
        Domain = domain;
        RecallPeriod = recallPeriod;
        Instructions = instructions;
        Items = items;
        Total = total;
        Subscales = subscales;
        Responder = responder;
        Source = source;
        TermsOfUse = termsOfUse;
        SourcePath = sourcePath;
    }

    /// <summary>The id, e.g. <c>peg-3</c>; also the file name without <c>.json</c>.</summary>
    public string Id { get; }

    /// <summary>The instrument's published name.</summary>
    public string Name { get; }

    /// <summary>The outcome domain.</summary>
    public OutcomeDomain Domain { get; }

    /// <summary>The period the answers refer to, e.g. "the past week".</summary>
    public string RecallPeriod { get; }

    /// <summary>What the respondent is told before the items.</summary>
    public string Instructions { get; }

    /// <summary>The items in order.</summary>
    public IReadOnlyList<InstrumentItem> Items { get; }

    /// <summary>How the total score is computed.</summary>
    public ScoreRule Total { get; }

    /// <summary>Sub-scales, possibly none.</summary>
    public IReadOnlyList<ScoreRule> Subscales { get; }

    /// <summary>The responder threshold, when one is documented.</summary>
    public ResponderRule? Responder { get; }

    /// <summary>The citation of the instrument.</summary>
    public string Source { get; }

    /// <summary>The terms under which it is used and its texts reproduced.</summary>
    public string TermsOfUse { get; }

    /// <summary>The file it was read from.</summary>
    public string SourcePath { get; }

    /// <summary>The item with this id, or <c>null</c>.</summary>
    public InstrumentItem? Item(string id) => Items.FirstOrDefault(i => i.Id == id);
}
