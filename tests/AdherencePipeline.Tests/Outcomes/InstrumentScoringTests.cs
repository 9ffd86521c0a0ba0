using System.Text.Json.Nodes;
using AdherencePipeline.Outcomes;
using Json.Schema;

namespace AdherencePipeline.Tests.Outcomes;

public sealed class InstrumentScoringTests
{
    // Four items 1–5, 'calm' reversed; the total is a sum of at least three answered items (prorated),
    // 'mood' a sub-scale averaging two items that needs both.
    private const string Custom = """
        {
          "id": "custom",
          "name": "Custom test scale",
          "domain": "quality_of_life",
          "recallPeriod": "the past week",
          "instructions": "Answer each item.",
          "response": { "min": 1, "max": 5 },
          "items": [
            { "id": "cheer", "text": "Cheerful" },
            { "id": "calm", "text": "Tense", "reversed": true },
            { "id": "energy", "text": "Energetic" },
            { "id": "sleep", "text": "Slept well" }
          ],
          "scoring": {
            "total": { "method": "sum", "minAnswered": 3, "transform": { "from": [4, 20], "to": [0, 100] } },
            "subscales": [ { "id": "mood", "method": "mean", "items": ["cheer", "calm"], "minAnswered": 2 } ]
          },
          "source": "Test only.",
          "termsOfUse": "Test only."
        }
        """;

    private static Instrument CustomInstrument()
    {
        var instrument = InstrumentLoader.TryParse(Custom, "custom.json", out var errors);
        Assert.True(instrument is not null, string.Join("; ", errors));
        return instrument;
    }

    [Fact]
    public void Loader_ShippedInstruments_LoadAndMatchTheSchema()
    {
        var instruments = InstrumentLoader.LoadDirectory(TestInstruments.Directory, out var errors);

        Assert.Empty(errors);
        Assert.Equal(["peg-3", "psfs", "who-5"], instruments.Select(i => i.Id));
        var schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(TestInstruments.Directory, InstrumentLoader.SchemaFileName)));
        foreach (var instrument in instruments)
        {
            Assert.True(schema.Evaluate(JsonNode.Parse(File.ReadAllText(instrument.SourcePath))).IsValid, instrument.Id);
            Assert.False(string.IsNullOrWhiteSpace(instrument.TermsOfUse));
            Assert.NotNull(instrument.Responder);
        }
    }

    [Fact]
    public void Peg3_ThreeAnswers_ScoresTheirMean()
    {
        var score = TestInstruments.Answers(TestInstruments.Load("peg-3"), "pain=6,enjoyment=4,activity=8").Score();

        // (6 + 4 + 8) / 3 = 6.
        Assert.Equal(new OutcomeScore("total", 6.0, null, 3), Assert.Single(score));
    }

    [Fact]
    public void Peg3_OneItemMissing_HasNoScore()
    {
        var score = TestInstruments.Answers(TestInstruments.Load("peg-3"), "pain=6,enjoyment=-,activity=8").Score()[0];

        Assert.Null(score.Value);
        Assert.Equal(2, score.Answered);
    }

    [Fact]
    public void Who5_FiveAnswers_SumsAndTransformsToPercent()
    {
        var score = TestInstruments.Answers(TestInstruments.Load("who-5"), "cheerful=3,calm=4,active=2,rested=5,interest=1").Score()[0];

        // 3 + 4 + 2 + 5 + 1 = 15 of 25; × 4 = 60.
        Assert.Equal(15.0, score.Value);
        Assert.Equal(60.0, score.Transformed!.Value, 9);
    }

    [Fact]
    public void Psfs_ThreeActivitiesNamed_ScoresTheirMean()
    {
        var score = TestInstruments.Answers(TestInstruments.Load("psfs"), "activity1=4,activity2=6,activity3=8").Score()[0];

        Assert.Equal(new OutcomeScore("total", 6.0, null, 3), score);
    }

    [Fact]
    public void Psfs_NoActivity_HasNoScore()
    {
        Assert.Null(TestInstruments.Answers(TestInstruments.Load("psfs"), "").Score()[0].Value);
    }

    [Fact]
    public void Custom_ReversedItemAndOneMissing_ProratesTheSum()
    {
        var scores = TestInstruments.Answers(CustomInstrument(), "cheer=2,calm=4,energy=5").Score();

        // calm reversed: 1 + 5 − 4 = 2. Sum of the answered 2 + 2 + 5 = 9, prorated 9 / 3 × 4 = 12;
        // on 0–100: (12 − 4) × 100 / 16 = 50. mood: (2 + 2) / 2 = 2.
        Assert.Equal(12.0, scores[0].Value!.Value, 9);
        Assert.Equal(50.0, scores[0].Transformed!.Value, 9);
        Assert.Equal(new OutcomeScore("mood", 2.0, null, 2), scores[1]);
    }

    [Fact]
    public void Custom_AllAnswered_SumsWithoutProrating()
    {
        var scores = TestInstruments.Answers(CustomInstrument(), "cheer=5,calm=1,energy=5,sleep=5").Score();

        // calm reversed 1 → 5; 5 + 5 + 5 + 5 = 20, the maximum: 100 on 0–100.
        Assert.Equal(20.0, scores[0].Value);
        Assert.Equal(100.0, scores[0].Transformed);
        Assert.Equal(5.0, scores[1].Value);
    }

    [Fact]
    public void Custom_TwoMissing_HasNoTotalAndNoSubscale()
    {
        var scores = TestInstruments.Answers(CustomInstrument(), "cheer=2,energy=5").Score();

        Assert.Null(scores[0].Value);
        Assert.Null(scores[1].Value);
    }

    [Theory]
    [InlineData("pain=11,enjoyment=4,activity=8", "peg-3.pain: expected an integer from 0 to 10, found 11")]
    [InlineData("pain=6,enjoyment=-1,activity=8", "peg-3.enjoyment: expected an integer from 0 to 10, found -1")]
    [InlineData("pain=6,enjoyment=4.5,activity=8", "peg-3.enjoyment: expected an integer from 0 to 10, found '4.5'")]
    [InlineData("pain=6,mood=4", "peg-3: 'mood' is not an item; the items are pain, enjoyment, activity")]
    [InlineData("pain=6,pain=7", "peg-3.pain: answered twice")]
    [InlineData("pain", "peg-3: expected item=value, found 'pain'")]
    public void Answers_Invalid_AreRejectedNamingTheItem(string text, string expected)
    {
        var answers = InstrumentAnswers.TryParse(TestInstruments.Load("peg-3"), text, out var errors);

        Assert.Null(answers);
        Assert.Contains(expected, errors);
    }

    [Fact]
    public void AnswersByItem_Invalid_AreRejectedEachWithItsItemInItemOrder()
    {
        var typed = new Dictionary<string, string?> { ["activity"] = "eight", ["pain"] = "11", ["enjoyment"] = "4", ["mood"] = "3" };

        var answers = InstrumentAnswers.TryParseItems(TestInstruments.Load("peg-3"), typed, out var errors);

        Assert.Null(answers);
        Assert.Equal(
            [
                new AnswerError("pain", "peg-3.pain: expected an integer from 0 to 10, found 11"),
                new AnswerError("activity", "peg-3.activity: expected an integer from 0 to 10, found 'eight'"),
                new AnswerError("mood", "peg-3: 'mood' is not an item; the items are pain, enjoyment, activity"),
            ],
            errors);
    }

    [Fact]
    public void AnswersByItem_EmptyOrDash_IsUnanswered()
    {
        var typed = new Dictionary<string, string?> { ["activity1"] = " 7 ", ["activity2"] = "", ["activity3"] = "-", ["activity4"] = null };

        var answers = InstrumentAnswers.TryParseItems(TestInstruments.Load("psfs"), typed, out var errors);

        Assert.Empty(errors);
        Assert.Equal([7, null, null, null, null], answers!.Items.Select(i => i.Answer));
        Assert.Equal(7, answers.Score()[0].Value);
    }

    [Fact]
    public void Psfs_Items_AreNamedByTheRespondent_OthersNot()
    {
        Assert.All(TestInstruments.Load("psfs").Items, i => Assert.True(i.NamedByRespondent));
        Assert.All(TestInstruments.Load("peg-3").Items, i => Assert.False(i.NamedByRespondent));
    }

    [Theory]
    [InlineData("{ \"id\": \"energy\", \"text\": \"Energetic\" }", "{ \"id\": \"energy\", \"text\": \"Energetic\", \"response\": { \"min\": 5, \"max\": 1 } }",
        "energy", "$.items[2].response.max", "expected a value above min (5), found 1")]
    [InlineData("\"items\": [\"cheer\", \"calm\"]", "\"items\": [\"cheer\", \"happy\"]",
        "instrument", "$.scoring.subscales[0].items[1]", "expected the id of an item of this instrument (cheer, calm, energy, sleep), found 'happy'")]
    [InlineData("\"termsOfUse\": \"Test only.\"", "\"termsOfUse\": \"\"", "instrument", "$.termsOfUse", "expected a non-empty string")]
    [InlineData("{ \"id\": \"sleep\", \"text\": \"Slept well\" }", "{ \"id\": \"sleep\", \"txt\": \"Slept well\" }",
        "sleep", "$.items[3].txt", "'txt' is not a known property")]
    [InlineData("{ \"id\": \"calm\", \"text\": \"Tense\", \"reversed\": true }", "{ \"id\": \"calm\", \"text\": \"Tense\", \"reversed\": \"yes\" }",
        "calm", "$.items[1].reversed", "expected true or false, found the string \"yes\"")]
    [InlineData("\"minAnswered\": 3,", "\"minAnswered\": 0,", "instrument", "$.scoring.total.minAnswered", "expected an integer from 1 to 4, found 0")]
    public void Loader_BadInstrument_NamesFileItemAndField(string find, string replace, string item, string path, string message)
    {
        Assert.Contains(find, Custom, StringComparison.Ordinal);

        var instrument = InstrumentLoader.TryParse(Custom.Replace(find, replace, StringComparison.Ordinal), "custom.json", out var errors);

        Assert.Null(instrument);
        var error = Assert.Single(errors, e => e.JsonPath == path);
        Assert.Equal(("custom.json", item, path), (error.File, error.Item, error.JsonPath));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loader_IdNotTheFileName_IsRejected()
    {
        var instrument = InstrumentLoader.TryParse(Custom, "other.json", out var errors);

        Assert.Null(instrument);
        var error = Assert.Single(errors);
        Assert.Equal("$.id", error.JsonPath);
        Assert.Contains("expected 'other' (the file name without .json), found 'custom'", error.Message, StringComparison.Ordinal);
    }
}
