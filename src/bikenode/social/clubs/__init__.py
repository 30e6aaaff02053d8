"""Clubs inside the social domain: clubs and memberships, invites, club rides with RSVPs,
posts and the weekly leaderboard. Private to social; social's __init__ exports what others use.
"""
