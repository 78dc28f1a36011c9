using System.Net;
using System.Security.Cryptography;

namespace LongRecipe.Lab.Security;

/// <summary>The Lab cannot start safely as configured (a token it cannot keep, one too short); the message says what to change.</summary>
public sealed class LabSecurityException(string message) : Exception(message);

/// <summary>
/// The token a Lab listening beyond loopback asks for, as notebook servers do: Lab:Security:AccessToken, or one
/// generated at first start into the data directory's access-token file (readable by its owner only) and printed at
/// every start. A Lab that listens on loopback only asks for none unless one is configured (a token set is a token
/// asked for): <see cref="Value"/> is then null.
/// </summary>
public sealed record AccessToken(string? Value, string? File, IReadOnlyList<string> Beyond)
{
    public const string FileName = "access-token";

    /// <summary>Tokens shorter than this are refused: a guessable token is no lock.</summary>
    public const int MinLength = 16;

    public bool Required => Value is not null;

    /// <summary>
    /// The token for a Lab listening on <paramref name="urls"/>: the configured one wherever it listens; else, beyond
    /// loopback, the data directory's, made when missing, and none on loopback. Throws a <see cref="LabSecurityException"/> when it cannot have one.
    /// </summary>
    public static AccessToken For(IReadOnlyList<string> urls, string? configured, string dataDirectory)
    {
        var beyond = urls.Where(url => !IsLoopback(url)).ToList();
        if (!string.IsNullOrEmpty(configured))
            return configured.Length >= MinLength ? new AccessToken(configured, null, beyond)
                : throw new LabSecurityException($"Lab:Security:AccessToken is {configured.Length} characters; a token needs at least {MinLength}");
        if (beyond.Count == 0) return new AccessToken(null, null, beyond);
        var file = Path.Combine(dataDirectory, FileName);
        try
        {
            if (!System.IO.File.Exists(file))
            {
                Directory.CreateDirectory(dataDirectory);
                // Readable by its owner only, from its first byte.
                var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows()) create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                using var writer = new StreamWriter(file, create);
                writer.Write(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)) + "\n");
            }
            var token = System.IO.File.ReadAllText(file).Trim();
            return token.Length >= MinLength ? new AccessToken(token, file, beyond)
                : throw new LabSecurityException($"{file} holds a token of {token.Length} characters; a token needs at least {MinLength} (delete the file for a new one)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LabSecurityException(
                $"The Lab listens beyond this machine ({string.Join(", ", beyond)}) and so needs an access token, and {file} cannot be written ({e.Message}); " +
                "set Lab:Security:AccessToken, or listen on 127.0.0.1");
        }
    }

    /// <summary>Whether <paramref name="url"/> listens on loopback only: localhost, 127.0.0.0/8 or [::1] (not *, +, 0.0.0.0 or a name).</summary>
    public static bool IsLoopback(string url)
    {
        var host = HostOf(url);
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
               || IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }

    /// <summary>The host of a listening address, e.g. "0.0.0.0" of http://0.0.0.0:5080, "[::1]" of http://[::1]:5080, "*" of http://*:5080.</summary>
    public static string HostOf(string url)
    {
        var host = url.Contains("://", StringComparison.Ordinal) ? url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..] : url;
        host = host.Split('/')[0];
        return host.StartsWith('[') ? host[..(host.IndexOf(']') + 1)] : host.Split(':')[0];
    }

    /// <summary>Whether <paramref name="presented"/> is the token, compared in constant time.</summary>
    public bool Matches(string? presented) =>
        Value is not null && presented is not null
        && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(presented), System.Text.Encoding.UTF8.GetBytes(Value));
}
