using System.Security.Claims;
using AdherencePipeline.Adherence;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdherencePipeline.Service.Web;

/// <summary>Checks typed-in secrets and issues the sign-in cookie; decides whose data a caller may see.</summary>
internal static partial class SignIn
{
    // Checked when the participant is unknown, so that a wrong code for a real participant and any code
    // for an unknown one take the same time and the answer does not reveal which codes exist.
    private static readonly string UnknownParticipantHash = WebSecrets.HashCode(Guid.NewGuid().ToString("N"));

    /// <summary>Signs a participant in when the access code matches the configured hash; false otherwise.</summary>
    public static async Task<bool> ParticipantAsync(HttpContext context, string participant, string code)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<WebOptions>>().Value;
        var registry = context.RequestServices.GetRequiredService<ParticipantRegistry>();
        var known = options.ParticipantCodes.TryGetValue(participant, out var hash) && registry.Find(participant) is not null;
        var matches = WebSecrets.CodeMatches(code, known ? hash : UnknownParticipantHash);
        if (!(known && matches))
        {
            LogCodeRefused(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SignIn)), known ? participant : "(unknown)", context.Connection.RemoteIpAddress?.ToString());
            return false;
        }

        await IssueAsync(context, [new Claim(ClaimTypes.Role, WebRegistration.ParticipantRole), new Claim(ClaimTypes.NameIdentifier, participant),
            new Claim(CredentialClaim, WebSecrets.Fingerprint(hash!))]);
        return true;
    }

    /// <summary>Signs a researcher in for the pages when the token's hash is configured; false otherwise.</summary>
    public static async Task<bool> ResearcherAsync(HttpContext context, string token)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<WebOptions>>().Value;
        if (WebSecrets.MatchingTokenHash(token, options.ResearcherTokens) is not { } hash)
        {
            return false;
        }

        await IssueAsync(context, [new Claim(ClaimTypes.Role, WebRegistration.ResearcherRole), new Claim(CredentialClaim, WebSecrets.Fingerprint(hash))]);
        return true;
    }

    /// <summary>
    /// Checks a sign-in cookie on every request: the hash it was made with must still be configured, and a
    /// participant must still be in the registry. Removing or changing a token's or code's hash (in
    /// <c>Web</c> or <c>Web:SecretsFile</c>) and restarting thus ends the sign-ins made with it, not only new ones.
    /// </summary>
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var user = context.Principal;
        var options = context.HttpContext.RequestServices.GetRequiredService<IOptions<WebOptions>>().Value;
        var fingerprint = user?.FindFirstValue(CredentialClaim);
        var participant = user is null ? null : ParticipantOf(user);
        var valid = fingerprint is not null && (participant is null
            ? user!.IsInRole(WebRegistration.ResearcherRole) && options.ResearcherTokens.Any(h => WebSecrets.Fingerprint(h) == fingerprint)
            : options.ParticipantCodes.TryGetValue(participant, out var hash) && WebSecrets.Fingerprint(hash) == fingerprint
                && context.HttpContext.RequestServices.GetRequiredService<ParticipantRegistry>().Find(participant) is not null);
        if (!valid)
        {
            LogSignInRevoked(context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SignIn)), participant ?? "(researcher)");
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }

    /// <summary>The claim holding <see cref="WebSecrets.Fingerprint"/> of the hash a sign-in was made with.</summary>
    internal const string CredentialClaim = "adherence:credential";

    [LoggerMessage(EventId = 8003, Level = LogLevel.Information, Message = "A sign-in of {Who} was ended: the token or access code it was made with is no longer configured")]
    private static partial void LogSignInRevoked(ILogger logger, string who);

    /// <summary>Researchers see everyone; a participant sees only their own data.</summary>
    public static bool MaySee(ClaimsPrincipal user, string participant) =>
        user.IsInRole(WebRegistration.ResearcherRole) || (user.IsInRole(WebRegistration.ParticipantRole) && user.FindFirstValue(ClaimTypes.NameIdentifier) == participant);

    /// <summary>The signed-in participant's code, or null for a researcher.</summary>
    public static string? ParticipantOf(ClaimsPrincipal user) =>
        user.IsInRole(WebRegistration.ParticipantRole) ? user.FindFirstValue(ClaimTypes.NameIdentifier) : null;

    // The participant code is a pseudonym; the typed code is never logged, and unknown codes are not echoed.
    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "An access code was refused for participant {Participant} (client {Client})")]
    private static partial void LogCodeRefused(ILogger logger, string participant, string? client);

    private static Task IssueAsync(HttpContext context, Claim[] claims) =>
        context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
            new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme, ClaimTypes.NameIdentifier, ClaimTypes.Role)));
}
